import type { ProviderRateLimits } from '@app/contracts';

/** What LlmClient needs from a rate limiter shared by every replica. */
export interface RateLimiter {
  /** Books the next slot for one call of about `tokens` tokens and resolves when it comes. */
  acquire(tokens: number, signal: AbortSignal): Promise<void>;
  /** Holds back every caller for `ms`, e.g. after the provider answered 429. */
  pause(ms: number): Promise<void>;
  /** Learns from what the provider said about its own windows on an answer. */
  observe(limits: ProviderRateLimits): Promise<void>;
}

export interface ResponseCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/** An outage in progress: how long the provider has been failing, and its last answer. */
export interface OutageState {
  outageMs: number;
  lastError: string;
}

/** What LlmClient needs from a circuit breaker shared by every replica. */
export interface CircuitBreaker {
  /**
   * Resolves when a call may go out (closed, or this caller is the probe), with the outage in progress
   * if any; also resolves once the outage has lasted `giveUpAfterMs`, for the caller to give up.
   */
  admit(signal: AbortSignal, giveUpAfterMs: number): Promise<OutageState | undefined>;
  /** Counts a failure that says the provider is unavailable; returns the outage so far. */
  failure(message: string): Promise<OutageState>;
  success(): Promise<void>;
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
