import type { AnalysisKind, JsonSchema } from './analysis';
import type { SourceSpec } from './task-spec';

/**
 * The seams every implementation plugs into: the simulators, the live HTTP/SQL/inline sources and
 * the OpenAI-compatible client. Consumers depend on these, never on a concrete provider.
 */

/**
 * What a provider said about its own limits on an answer (the x-ratelimit-* headers of OpenAI-compatible
 * APIs): what is left in its current windows and when they reset.
 */
export interface ProviderRateLimits {
  remainingRequests?: number;
  resetRequestsMs?: number;
  remainingTokens?: number;
  resetTokensMs?: number;
}

/**
 * An error from a data source or an LLM provider, classified so callers know what it means:
 * - retryable: the provider is unavailable for now (429, 5xx, a timeout, a refused connection);
 * - fatal: the provider refuses the service itself (a bad key, no such model), every call would fail alike;
 * - neither: a verdict about this one request (a content policy, a 400 on this input).
 */
export class ProviderError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly fatal: boolean;
  /** Set on rate-limit answers (HTTP 429 with retry-after). */
  readonly retryAfterMs: number | undefined;
  readonly rateLimits: ProviderRateLimits | undefined;

  constructor(
    message: string,
    options: {
      status?: number;
      retryable: boolean;
      fatal?: boolean;
      retryAfterMs?: number;
      rateLimits?: ProviderRateLimits;
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryable = options.retryable;
    this.fatal = options.fatal ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.rateLimits = options.rateLimits;
  }
}

export interface SourceRecord {
  /** Unique within its source; stable across fetches of the same source. */
  id: string;
  content: string;
  fields: Record<string, unknown>;
}

export interface DataSourceReader {
  /**
   * The records of one source, in order, in batches as they arrive: a source is never held whole.
   * Fails with ProviderError (retryable or not) or an AbortError.
   */
  read(source: SourceSpec, signal: AbortSignal): AsyncIterable<SourceRecord[]>;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  temperature: number;
  messages: ChatMessage[];
  /** 'text': free text; an analysis kind: a JSON object of that kind, matching `schema`. */
  response: 'text' | `${AnalysisKind}`;
  /** The JSON Schema of the answer when `response` is a kind; providers that can enforce one send it on. */
  schema?: JsonSchema;
  /** Sent as max_tokens when set. */
  maxTokens?: number;
}

/** Starts the line of a record prompt that carries the record; what follows it is the record as JSON. */
export const RECORD_LINE_PREFIX = 'Record (JSON): ';

export interface ChatResponse {
  content: string;
  usage: { promptTokens: number; completionTokens: number };
  rateLimits?: ProviderRateLimits;
}

/** What LLM calls cost: tokens as the provider billed them, calls made, answers served from the cache. */
export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  calls: number;
  cacheHits: number;
}

export const NO_USAGE: Readonly<LlmUsage> = { promptTokens: 0, completionTokens: 0, calls: 0, cacheHits: 0 };

export interface LlmProvider {
  /** Rejects with ProviderError (429s carry retryAfterMs) or an AbortError. */
  complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;
}
