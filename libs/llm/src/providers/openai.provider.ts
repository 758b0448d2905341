import OpenAI from 'openai';
import { describeError } from '@app/common';
import type { ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import { parseRateLimits, parseRetryAfterMs } from './rate-limit-headers';

export interface OpenAiProviderOptions {
  baseUrl: string;
  apiKey: string;
  organization: string | undefined;
  /** Ask for a JSON object (response_format json_object) on analysis calls; off for models without it. */
  jsonMode: boolean;
}

/** Statuses that say the service itself is refused: every call would get the same answer. */
const FATAL_STATUSES = new Set([401, 403, 404]);
const MESSAGE_LENGTH = 300;

/**
 * Any OpenAI-compatible chat-completions API, through the official SDK with its own retries off: the
 * LlmClient is the one retry layer, and it needs every answer's rate-limit headers and every failure
 * classified (ProviderError: unavailable, fatal, or a verdict about the request).
 */
export class OpenAiProvider implements LlmProvider {
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      organization: options.organization ?? null,
      maxRetries: 0,
      // The LlmClient's per-call signal is the timeout that counts; this only backs it up.
      timeout: 10 * 60_000,
    });
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    const json = request.response !== 'text' && this.options.jsonMode;
    try {
      const { data, response } = await this.client.chat.completions
        .create(
          {
            model: request.model,
            temperature: request.temperature,
            messages: request.messages,
            ...(request.maxTokens === undefined ? {} : { max_tokens: request.maxTokens }),
            ...(json ? { response_format: { type: 'json_object' as const } } : {}),
          },
          { signal },
        )
        .withResponse();
      const choice = data.choices[0];
      if (choice?.finish_reason === 'content_filter') {
        throw new ProviderError('the provider withheld the answer (content filter)', { retryable: false });
      }
      return {
        content: choice?.message?.content ?? '',
        usage: { promptTokens: data.usage?.prompt_tokens ?? 0, completionTokens: data.usage?.completion_tokens ?? 0 },
        rateLimits: parseRateLimits(response.headers),
      };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw toProviderError(error);
    }
  }
}

/** Classifies what the SDK threw. */
export function toProviderError(error: unknown): unknown {
  if (error instanceof ProviderError) return error;
  if (error instanceof OpenAI.APIConnectionError) {
    return new ProviderError(`provider unreachable: ${describeError(error.cause ?? error)}`, {
      retryable: true,
      cause: error,
    });
  }
  if (!(error instanceof OpenAI.APIError)) return error;
  // The SDK types an error's status, headers and body as `any`; these are their documented shapes.
  const status = error.status as number | undefined;
  if (status === undefined) return error;
  const headers = (error.headers as Headers | undefined) ?? new Headers();
  const body = error.error as { message?: unknown } | undefined;
  const said = typeof body?.message === 'string' && body.message !== '' ? body.message : error.message;
  const message = `provider answered ${status}: ${said.replace(/^\d{3}\s*/, '') || 'no message'}`.slice(
    0,
    MESSAGE_LENGTH,
  );
  // A 429 for an exhausted quota will not pass by waiting.
  const quota = status === 429 && error.code === 'insufficient_quota';
  const fatal = FATAL_STATUSES.has(status) || quota;
  return new ProviderError(message, {
    status,
    fatal,
    retryable: !fatal && (status === 408 || status === 409 || status === 429 || status >= 500),
    retryAfterMs: status === 429 || status === 503 ? parseRetryAfterMs(headers) : undefined,
    rateLimits: parseRateLimits(headers),
    cause: error,
  });
}
