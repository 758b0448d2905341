import { sleep } from '@app/common';
import type { Redis } from 'ioredis';
import type { RateLimiter } from './llm.ports';

export interface RedisRateLimiterOptions {
  key: string;
  requestsPerMinute: number;
  /** Bucket capacity: how many requests may go out back to back; default max(1, rpm / 60). */
  burst?: number;
}

/*
 * Token bucket in one script, so concurrent replicas never take the same token. The clock is Redis's
 * TIME, so replicas' clocks do not matter. Returns 0 when a token was taken, else the ms to wait.
 */
const TAKE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local paused_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused_until > now then
  return paused_until - now
end
local capacity = tonumber(ARGV[1])
local ms_per_token = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) / ms_per_token)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * ms_per_token)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
-- Once the bucket would be full again the state carries no information, so let it go.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * ms_per_token) + 1000)
return wait
`;

/* Moves the pause end to now + ARGV[1] ms unless a later one is already set. */
const PAUSE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + ms > current then
  redis.call('SET', KEYS[1], now + ms, 'PX', ms)
end
return 0
`;

/**
 * A requests-per-minute limit shared by every replica through Redis. It adapts to the provider: after a
 * 429, pause() holds back every replica until the provider's retry-after has passed.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly burst: number;
  private readonly msPerToken: number;
  private readonly pausedUntilKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRateLimiterOptions,
  ) {
    const { requestsPerMinute } = options;
    if (!(requestsPerMinute > 0)) throw new RangeError(`requestsPerMinute must be positive, got ${requestsPerMinute}`);
    this.burst = options.burst ?? Math.max(1, Math.floor(requestsPerMinute / 60));
    if (!(this.burst >= 1)) throw new RangeError(`burst must be at least 1, got ${this.burst}`);
    this.msPerToken = 60_000 / requestsPerMinute;
    this.pausedUntilKey = `${options.key}:paused-until`;
  }

  async acquire(signal: AbortSignal): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      const waitMs = await this.redis.eval(
        TAKE_SCRIPT,
        2,
        this.options.key,
        this.pausedUntilKey,
        this.burst,
        this.msPerToken,
      );
      if (waitMs === 0) return;
      if (typeof waitMs !== 'number')
        throw new Error(`unexpected reply from the rate limiter script: ${JSON.stringify(waitMs)}`);
      await sleep(waitMs, signal);
    }
  }

  async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await this.redis.eval(PAUSE_SCRIPT, 1, this.pausedUntilKey, Math.ceil(ms));
  }
}
