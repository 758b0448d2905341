import { batchPerTurn, sleep } from '@app/common';
import type { ProviderRateLimits } from '@app/contracts';
import type { Redis } from 'ioredis';
import { RedisScript } from '@app/redis';
import type { RateLimiter } from './llm.ports';

export interface RedisRateLimiterOptions {
  key: string;
  requestsPerMinute: number;
  /** Tokens (prompt + completion) per minute; unlimited when absent. */
  tokensPerMinute?: number;
  /** How many requests may go out back to back; default max(1, rpm / 60), one second's worth. */
  burst?: number;
}

/*
 * Reserve-and-sleep (GCRA, a virtual schedule per budget): the caller's slot is the earliest moment
 * both the request budget and the token budget allow, not before a pause set after a 429 or an
 * exhausted provider window. The slot is booked in the same script, so the caller sleeps until it
 * and goes: no polling, and no two replicas ever get the same slot. The clock is Redis's TIME, so
 * replicas' clocks do not matter. One script call books the slots of several callers, one after the
 * other as separate calls would; it returns each one's ms to wait.
 *
 * KEYS[1] schedule hash (r: next request time, t: next token time), KEYS[2] pause end
 * ARGV: ms per request, request tolerance (ms), ms per token (0: no token limit), token tolerance (ms),
 * then each caller's tokens
 */
const RESERVE = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local from = math.max(now, tonumber(redis.call('GET', KEYS[2]) or '0'))
local per_request, request_tolerance = tonumber(ARGV[1]), tonumber(ARGV[2])
local per_token, token_tolerance = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'r', 't')
local next_request = math.max(tonumber(state[1]) or from, from)
local next_token = math.max(tonumber(state[2]) or from, from)
local waits = {}
for i = 5, #ARGV do
  local start = math.max(from, next_request - request_tolerance)
  if per_token > 0 then start = math.max(start, next_token - token_tolerance) end
  next_request = math.max(next_request, start - request_tolerance) + per_request
  next_token = math.max(next_token, start - token_tolerance) + per_token * tonumber(ARGV[i])
  waits[#waits + 1] = start - now
end
redis.call('HSET', KEYS[1], 'r', next_request, 't', next_token)
redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(next_request, next_token) - now) + 60000)
return waits
`);

/* Moves the pause end to now + ARGV[1] ms unless a later one is already set. */
const PAUSE = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + ms > current then
  redis.call('SET', KEYS[1], now + ms, 'PX', ms)
end
return 0
`);

/**
 * Request and token limits shared by every replica through Redis, that adapt to the provider: a 429's
 * retry-after, or an answer saying a provider window is used up (x-ratelimit-remaining-* = 0), holds
 * back every replica until the provider's window resets.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly msPerRequest: number;
  private readonly requestTolerance: number;
  private readonly msPerToken: number;
  private readonly tokenTolerance: number;
  private readonly pausedUntilKey: string;
  private readonly bookings = batchPerTurn<number, number>((tokens) => this.reserveAll(tokens));

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisRateLimiterOptions,
  ) {
    const { requestsPerMinute, tokensPerMinute } = options;
    if (!(requestsPerMinute > 0)) throw new RangeError(`requestsPerMinute must be positive, got ${requestsPerMinute}`);
    if (tokensPerMinute !== undefined && !(tokensPerMinute > 0)) {
      throw new RangeError(`tokensPerMinute must be positive, got ${tokensPerMinute}`);
    }
    const burst = options.burst ?? Math.max(1, Math.floor(requestsPerMinute / 60));
    if (!(burst >= 1)) throw new RangeError(`burst must be at least 1, got ${burst}`);
    this.msPerRequest = 60_000 / requestsPerMinute;
    this.requestTolerance = (burst - 1) * this.msPerRequest;
    this.msPerToken = tokensPerMinute === undefined ? 0 : 60_000 / tokensPerMinute;
    // One second's worth of tokens may go out at once, as for requests.
    this.tokenTolerance = 1000;
    this.pausedUntilKey = `${options.key}:paused-until`;
  }

  async acquire(tokens: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const waitMs = await this.reserve(tokens);
    // The slot stays booked if the caller gives up meanwhile: a lost slot only slows the others a little.
    if (waitMs > 0) await sleep(waitMs, signal);
  }

  /**
   * Books the next slot for a call of `tokens` tokens; resolves with the ms until it. The bookings of
   * one turn of the event loop go in one script call, in the order they were asked for (ADR 30).
   */
  reserve(tokens: number): Promise<number> {
    return this.bookings.submit(Math.max(0, Math.ceil(tokens)));
  }

  private async reserveAll(tokens: number[]): Promise<{ value: number }[]> {
    const waits = await RESERVE.run(
      this.redis,
      [this.options.key, this.pausedUntilKey],
      [this.msPerRequest, this.requestTolerance, this.msPerToken, this.tokenTolerance, ...tokens],
    );
    if (!Array.isArray(waits) || waits.length !== tokens.length || !waits.every((wait) => typeof wait === 'number')) {
      throw new Error(`unexpected reply from the rate limiter script: ${JSON.stringify(waits)}`);
    }
    return waits.map((value: number) => ({ value }));
  }

  async pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await PAUSE.run(this.redis, [this.pausedUntilKey], [Math.ceil(ms)]);
  }

  async observe(limits: ProviderRateLimits): Promise<void> {
    const waits = [
      limits.remainingRequests === 0 ? limits.resetRequestsMs : undefined,
      limits.remainingTokens === 0 ? limits.resetTokensMs : undefined,
    ].filter((ms): ms is number => ms !== undefined);
    if (waits.length > 0) await this.pause(Math.max(...waits));
  }
}
