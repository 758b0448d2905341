import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { seededRandom, sleep } from '@app/common';
import type { ChatMessage, ChatRequest } from '@app/contracts';
import { requestedAnalysis, SimulatedAnswers } from '@app/simulators';
import type { LlmSimulatorConfig } from './llm-simulator.config';
import { RateWindow, type WindowState } from './rate-window';

const MAX_BODY_BYTES = 4 * 1024 * 1024;
const ROLES = new Set(['system', 'user', 'assistant']);

/** What the simulator has answered since it started; GET /admin/stats. */
export interface SimulatorStats {
  requests: number;
  completed: number;
  rate_limited: number;
  server_errors: number;
  outage_answers: number;
  unauthorized: number;
  rejected: number;
  prompt_tokens: number;
  completion_tokens: number;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const apiError = (status: number, message: string, type: string, code: string | null, headers = {}): HttpAnswer =>
  new HttpAnswer(status, { error: { message, type, param: null, code } }, headers);

/**
 * An OpenAI-compatible chat-completions API over HTTP (POST /v1/chat/completions) for tests and
 * demos: deterministic answers (the same as the in-process simulator), latency, a share of 5xx, a
 * request and a token limit answered by 429 with retry-after and x-ratelimit-* headers (which every
 * answer carries), an API key (POST /admin/api-key {"key": "…"} replaces it, as a revocation would),
 * POST /admin/outage {"seconds": N} that makes it unavailable (503), and GET /admin/stats.
 */
export class LlmSimulatorServer {
  private readonly answers: SimulatedAnswers;
  private readonly window: RateWindow;
  private readonly random: () => number;
  private server: Server | undefined;
  private outageUntil = 0;
  private apiKey: string;
  readonly stats: SimulatorStats = {
    requests: 0,
    completed: 0,
    rate_limited: 0,
    server_errors: 0,
    outage_answers: 0,
    unauthorized: 0,
    rejected: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
  };

  constructor(private readonly config: LlmSimulatorConfig) {
    if (config.SIM_LLM_LATENCY_MAX_MS < config.SIM_LLM_LATENCY_MIN_MS) {
      throw new RangeError('SIM_LLM_LATENCY_MAX_MS must be at least SIM_LLM_LATENCY_MIN_MS');
    }
    this.apiKey = config.SIM_LLM_API_KEY;
    this.answers = new SimulatedAnswers(config.SIMULATION_SEED);
    this.random = seededRandom(config.SIMULATION_SEED);
    this.window = new RateWindow({
      requests: config.SIM_LLM_RPM,
      tokens: config.SIM_LLM_TPM,
      windowMs: config.SIM_LLM_WINDOW_MS,
    });
  }

  /** Listens on the configured host and port (0: a free one); resolves with the base URL of the API. */
  async listen(): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.PORT, this.config.HOST, resolve);
    });
    const { port } = server.address() as AddressInfo;
    return `http://${this.config.HOST}:${port}/v1`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: HttpAnswer;
    try {
      answer = await this.route(request);
    } catch (error) {
      answer = apiError(500, `simulator error: ${String(error)}`, 'server_error', null);
    }
    response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    response.end(JSON.stringify(answer.body));
  }

  private async route(request: IncomingMessage): Promise<HttpAnswer> {
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    if (request.method === 'POST' && path === '/v1/chat/completions') return this.complete(request);
    if (request.method === 'POST' && path === '/admin/outage') return this.startOutage(request);
    if (request.method === 'POST' && path === '/admin/api-key') return this.changeKey(request);
    if (request.method === 'GET' && path === '/admin/stats') return new HttpAnswer(200, this.stats);
    if (request.method === 'GET' && (path === '/health' || path === '/health/live')) {
      return new HttpAnswer(200, { status: 'ok' });
    }
    return apiError(404, `no route ${request.method} ${path}`, 'invalid_request_error', 'not_found');
  }

  private async startOutage(request: IncomingMessage): Promise<HttpAnswer> {
    const body = (await readJson(request)) as { seconds?: unknown } | undefined;
    const seconds = body?.seconds;
    if (typeof seconds !== 'number' || !(seconds >= 0 && seconds <= 86_400)) {
      return apiError(400, 'seconds must be a number from 0 to 86400', 'invalid_request_error', null);
    }
    this.outageUntil = Date.now() + seconds * 1000;
    return new HttpAnswer(202, { outage_until: new Date(this.outageUntil).toISOString() });
  }

  /** Replaces the accepted key, as when a provider revokes the one in use. */
  private async changeKey(request: IncomingMessage): Promise<HttpAnswer> {
    const body = (await readJson(request)) as { key?: unknown } | undefined;
    if (typeof body?.key !== 'string') return apiError(400, 'key must be a string', 'invalid_request_error', null);
    this.apiKey = body.key;
    return new HttpAnswer(200, { changed: true });
  }

  private async complete(request: IncomingMessage): Promise<HttpAnswer> {
    this.stats.requests++;
    const key = this.apiKey;
    if (key !== '' && request.headers.authorization !== `Bearer ${key}`) {
      this.stats.unauthorized++;
      return apiError(401, 'Incorrect API key provided (simulated).', 'invalid_request_error', 'invalid_api_key');
    }
    if (Date.now() < this.outageUntil) {
      this.stats.outage_answers++;
      return apiError(503, 'The service is temporarily unavailable (simulated outage).', 'server_error', null);
    }
    const admission = this.window.admit();
    if (!admission.admitted) {
      this.stats.rate_limited++;
      const state = this.window.state();
      return apiError(
        429,
        `Rate limit reached for ${admission.limit} (simulated).`,
        'requests',
        'rate_limit_exceeded',
        {
          ...rateLimitHeaders(state),
          'retry-after': String(Math.ceil(state.resetMs / 1000)),
          'retry-after-ms': String(state.resetMs),
        },
      );
    }
    const chat = parseChatRequest(await readJson(request));
    if (typeof chat === 'string') return apiError(400, chat, 'invalid_request_error', null);
    const { min, max } = { min: this.config.SIM_LLM_LATENCY_MIN_MS, max: this.config.SIM_LLM_LATENCY_MAX_MS };
    await sleep(Math.round(min + this.random() * (max - min)));
    if (this.answers.rejects(chat, this.config.SIM_LLM_REJECT_RATE)) {
      this.stats.rejected++;
      return apiError(
        400,
        'The request was rejected by the content policy (simulated).',
        'invalid_request_error',
        'content_policy_violation',
      );
    }
    if (this.random() < this.config.SIM_LLM_FAILURE_RATE) {
      this.stats.server_errors++;
      const status = [500, 502, 503][Math.floor(this.random() * 3)];
      return apiError(
        status,
        'The server had an error while processing your request (simulated).',
        'server_error',
        null,
      );
    }
    const { content, usage } = this.answers.answer(chat);
    this.window.spend(usage.promptTokens + usage.completionTokens);
    this.stats.completed++;
    this.stats.prompt_tokens += usage.promptTokens;
    this.stats.completion_tokens += usage.completionTokens;
    return new HttpAnswer(
      200,
      {
        id: `chatcmpl-sim-${this.stats.completed}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: chat.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
        },
      },
      rateLimitHeaders(this.window.state()),
    );
  }
}

function rateLimitHeaders(state: WindowState): Record<string, string> {
  const reset = `${(state.resetMs / 1000).toFixed(3)}s`;
  return {
    'x-ratelimit-limit-requests': String(state.limitRequests),
    'x-ratelimit-remaining-requests': String(state.remainingRequests),
    'x-ratelimit-reset-requests': reset,
    'x-ratelimit-limit-tokens': String(state.limitTokens),
    'x-ratelimit-remaining-tokens': String(state.remainingTokens),
    'x-ratelimit-reset-tokens': reset,
  };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The chat request, or what is wrong with it. Scoring requests are told apart the way a model would:
 * by JSON mode, or by a system prompt asking for the score object.
 */
function parseChatRequest(body: unknown): ChatRequest | string {
  if (typeof body !== 'object' || body === null) return 'the body must be a JSON object';
  const { model, messages, temperature, response_format: format } = body as Record<string, unknown>;
  if (typeof model !== 'string' || model === '') return 'model is required';
  if (!Array.isArray(messages) || messages.length === 0) return 'messages must be a non-empty array';
  const parsed: ChatMessage[] = [];
  for (const message of messages as unknown[]) {
    const { role, content } = (message ?? {}) as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role) || typeof content !== 'string') {
      return 'each message needs a role (system, user, assistant) and a string content';
    }
    parsed.push({ role: role as ChatMessage['role'], content });
  }
  const request = { model, temperature: typeof temperature === 'number' ? temperature : 1, messages: parsed };
  // The kind a request asks for is in the answer schema of its prompt (over HTTP nothing else says it).
  const analysis = requestedAnalysis(parsed);
  if (analysis) return { ...request, response: analysis.kind, schema: analysis.schema };
  const json = (format as { type?: unknown } | undefined)?.type === 'json_object';
  const asksForScore = parsed.some((message) => message.role === 'system' && message.content.includes('{"score"'));
  return { ...request, response: json || asksForScore ? 'score' : 'text' };
}
