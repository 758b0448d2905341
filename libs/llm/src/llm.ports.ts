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
