import { loadConfig } from '@app/config';
import type { ChatRequest } from '@app/contracts';
import { AnalysisKind, ProviderError } from '@app/contracts';
import { OpenAiProvider, parseAnalysis, PromptBuilder } from '@app/llm';
import { SimulatedAnswers } from '@app/simulators';
import { LlmSimulatorConfig } from '../../apps/llm-simulator/src/llm-simulator.config';
import { LlmSimulatorServer } from '../../apps/llm-simulator/src/llm-simulator.server';

const KEY = 'sk-test-issue8';
const live = (): AbortSignal => new AbortController().signal;

async function failure(work: Promise<unknown>): Promise<ProviderError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

/** The HTTP simulator in this process, on a free port. */
async function simulator(env: Record<string, string>): Promise<{ server: LlmSimulatorServer; url: string }> {
  const config = loadConfig(LlmSimulatorConfig, {
    PORT: '0',
    SIM_LLM_API_KEY: KEY,
    SIM_LLM_LATENCY_MIN_MS: '0',
    SIM_LLM_LATENCY_MAX_MS: '5',
    ...env,
  });
  const server = new LlmSimulatorServer(config);
  return { server, url: await server.listen() };
}

describe(`${OpenAiProvider.name} against apps/llm-simulator over HTTP`, () => {
  const score: ChatRequest = new PromptBuilder().scoreRecord({
    model: 'gpt-4o-mini',
    temperature: 0.2,
    dimension: { id: 'd', name: 'Quality', threshold: 0.5 },
    record: { id: 'r1', content: 'a record', fields: {} },
  });
  const servers: LlmSimulatorServer[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const started = await simulator(env);
    servers.push(started.server);
    return started;
  };
  const provider = (url: string, apiKey = KEY) =>
    new OpenAiProvider({ baseUrl: url, apiKey, organization: undefined, jsonMode: true });

  afterAll(() => Promise.all(servers.map((server) => server.close())));

  it('answers the analysis kind the prompt asks for, as the in-process simulator does', async () => {
    const { url } = await start();
    const prompts = new PromptBuilder();
    const record = { id: 'r1', content: 'Great lesson, thanks! I forgot to carry the fractions.', fields: {} };
    for (const kind of [AnalysisKind.SENTIMENT, AnalysisKind.TOPICS, AnalysisKind.ERROR_ANALYSIS]) {
      const request = prompts.analyseRecord({
        model: 'gpt-4o-mini',
        temperature: 0,
        dimension: { id: 'd', name: 'Learners' },
        kind,
        record,
      });
      const response = await provider(url).complete(request, live());
      expect({ kind, content: response.content }).toEqual({
        kind,
        content: new SimulatedAnswers(42).answer(request).content,
      });
      expect(() => parseAnalysis(kind, response.content)).not.toThrow();
    }
  });

  it('returns the deterministic answer, its usage and the rate-limit headers', async () => {
    const { url } = await start({ SIM_LLM_RPM: '100', SIM_LLM_TPM: '100000' });
    const response = await provider(url).complete(score, live());
    const expected = new SimulatedAnswers(42).answer(score);
    expect(response.content).toBe(expected.content);
    expect(response.usage).toEqual(expected.usage);
    expect(response.rateLimits).toMatchObject({ remainingRequests: 99, remainingTokens: expect.any(Number) });
    expect(response.rateLimits?.resetRequestsMs).toBeGreaterThan(0);
  });

  it('fails fast on a bad key: fatal, not retryable, with the provider message', async () => {
    const { url, server } = await start();
    const error = await failure(provider(url, 'sk-wrong').complete(score, live()));
    expect(error).toMatchObject({ status: 401, fatal: true, retryable: false });
    expect(error.message).toContain('Incorrect API key provided');
    expect(server.stats.unauthorized).toBe(1);
  });

  it('classifies a 429 as retryable with the wait it asks for', async () => {
    const { url } = await start({ SIM_LLM_RPM: '1', SIM_LLM_WINDOW_MS: '30000' });
    await provider(url).complete(score, live());
    const error = await failure(provider(url).complete(score, live()));
    expect(error).toMatchObject({ status: 429, retryable: true, fatal: false });
    expect(error.retryAfterMs).toBeGreaterThan(1000);
    expect(error.rateLimits).toMatchObject({ remainingRequests: 0 });
  });

  it('classifies an outage as retryable, and answers again after it', async () => {
    const { url } = await start();
    const admin = url.replace(/\/v1$/, '');
    const started = await fetch(`${admin}/admin/outage`, { method: 'POST', body: JSON.stringify({ seconds: 0.3 }) });
    expect(started.status).toBe(202);
    const error = await failure(provider(url).complete(score, live()));
    expect(error).toMatchObject({ status: 503, retryable: true, fatal: false });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(provider(url).complete(score, live())).resolves.toMatchObject({ content: expect.any(String) });
  });

  it('classifies a content-policy refusal as a verdict on the request', async () => {
    const { url } = await start({ SIM_LLM_REJECT_RATE: '1' });
    const error = await failure(provider(url).complete(score, live()));
    expect(error).toMatchObject({ status: 400, retryable: false, fatal: false });
    expect(error.message).toContain('content policy');
  });

  it('classifies a refused connection as retryable', async () => {
    const error = await failure(provider('http://127.0.0.1:1/v1').complete(score, live()));
    expect(error).toMatchObject({ retryable: true, fatal: false, message: expect.stringMatching(/unreachable/) });
  });

  it("rejects with the caller's abort reason", async () => {
    const { url } = await start({ SIM_LLM_LATENCY_MIN_MS: '500', SIM_LLM_LATENCY_MAX_MS: '500' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DOMException('stop', 'AbortError')), 20);
    await expect(provider(url).complete(score, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
