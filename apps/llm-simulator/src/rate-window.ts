/** What a rate-limited answer reports, as the x-ratelimit-* headers. */
export interface WindowState {
  limitRequests: number;
  remainingRequests: number;
  limitTokens: number;
  remainingTokens: number;
  resetMs: number;
}

/**
 * The simulated provider's limits: requests and tokens counted in fixed windows, like a real
 * per-minute limit. One process serves every client, so the count is simply kept in memory.
 */
export class RateWindow {
  private windowEndsAt = Number.NEGATIVE_INFINITY;
  private requests = 0;
  private tokens = 0;

  constructor(
    private readonly limits: { requests: number; tokens: number; windowMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Admits one request, or says which limit it is over. */
  admit(): { admitted: true } | { admitted: false; limit: 'requests' | 'tokens' } {
    this.roll();
    if (this.requests >= this.limits.requests) return { admitted: false, limit: 'requests' };
    if (this.tokens >= this.limits.tokens) return { admitted: false, limit: 'tokens' };
    this.requests++;
    return { admitted: true };
  }

  spend(tokens: number): void {
    this.roll();
    this.tokens += tokens;
  }

  state(): WindowState {
    this.roll();
    return {
      limitRequests: this.limits.requests,
      remainingRequests: Math.max(0, this.limits.requests - this.requests),
      limitTokens: this.limits.tokens,
      remainingTokens: Math.max(0, this.limits.tokens - this.tokens),
      resetMs: Math.max(1, this.windowEndsAt - this.now()),
    };
  }

  private roll(): void {
    const now = this.now();
    if (now < this.windowEndsAt) return;
    this.windowEndsAt = now + this.limits.windowMs;
    this.requests = 0;
    this.tokens = 0;
  }
}
