/** What LlmClient needs from a rate limiter shared by every replica. */
export interface RateLimiter {
  /** Resolves once the caller may send one request. */
  acquire(signal: AbortSignal): Promise<void>;
  /** Holds back every caller for `ms`, e.g. after the provider answered 429. */
  pause(ms: number): Promise<void>;
}

export interface ResponseCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/** How one provider call (one attempt) ended; `cached` is an answer served from the cache, no call made. */
export type LlmCallOutcome = 'ok' | '429' | '5xx' | 'timeout' | 'error' | 'cached';

/** Told about every call the client makes, for the metrics; the app supplies it (LLM_OBSERVER). */
export interface LlmObserver {
  llmCall(outcome: LlmCallOutcome, seconds: number): void;
  llmLimiterWait(seconds: number): void;
  llmTokens(prompt: number, completion: number): void;
}

export const LLM_OBSERVER = Symbol('LLM_OBSERVER');
