import type { AnalysisKind, JsonSchema } from './analysis';
import type { SourceSpec } from './task-spec';

/**
 * The seams every implementation plugs into: the simulators today, real HTTP/SQL sources and an
 * OpenAI-compatible client later. Consumers depend on these, never on a concrete provider.
 */

/** An error from a data source or an LLM provider, classified so callers know whether to retry. */
export class ProviderError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** Set on rate-limit answers (HTTP 429 with retry-after). */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { status?: number; retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export interface SourceRecord {
  /** Unique within its source; stable across fetches of the same source. */
  id: string;
  content: string;
  fields: Record<string, unknown>;
}

export interface DataSourceReader {
  /** All records of one source. Rejects with ProviderError (retryable or not) or an AbortError. */
  fetch(source: SourceSpec, signal: AbortSignal): Promise<SourceRecord[]>;
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
}

/** Starts the line of a record prompt that carries the record; what follows it is the record as JSON. */
export const RECORD_LINE_PREFIX = 'Record (JSON): ';

export interface ChatResponse {
  content: string;
  usage: { promptTokens: number; completionTokens: number };
}

export interface LlmProvider {
  /** Rejects with ProviderError (429s carry retryAfterMs) or an AbortError. */
  complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse>;
}
