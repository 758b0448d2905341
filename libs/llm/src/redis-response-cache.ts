import { stableHash } from '@app/common';
import type { ChatRequest } from '@app/contracts';
import type { Redis } from 'ioredis';
import { RedisScript } from '@app/redis';
import type { ResponseCache } from './llm.ports';

export interface RedisResponseCacheOptions {
  /** Prepended (with ':') to every key. */
  prefix: string;
  ttlSeconds: number;
  /** Entries kept at most: a new one beyond removes the oldest (the budget holds on any Redis). */
  maxEntries: number;
  /** Answers longer than this (in UTF-8 bytes) are not cached, so the budget bounds memory too. */
  maxEntryBytes: number;
  /** Told when a read or write failed: the cache is skipped then, never the call. */
  onError?: (operation: 'get' | 'set', error: unknown) => void;
}

/**
 * Stores an entry and keeps the budget in one step: the index (a sorted set in order of writing)
 * counts the entries, and when it holds more than the budget the oldest go. Every entry has the same
 * TTL, so the oldest written are also the first to expire; one that expired already only counts
 * until it is pushed out, which keeps the live entries below the budget.
 * KEYS: entry, index, sequence. ARGV: value, ttl seconds, budget.
 */
const SET_WITHIN_BUDGET = new RedisScript(`
local ttl_ms = tonumber(ARGV[2]) * 1000
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl_ms)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[3]), KEYS[1])
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[2], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
redis.call('PEXPIRE', KEYS[2], ttl_ms)
redis.call('PEXPIRE', KEYS[3], ttl_ms)
return over
`);

/**
 * LLM answers keyed by the request, shared by every replica, so a retried job never pays twice.
 * Bounded on any Redis: at most `maxEntries` entries of at most `maxEntryBytes`, each for `ttlSeconds`
 * (see ADR "response cache"). Best effort: a cache that fails or does not answer is a miss, and the
 * answer is not stored; the Redis connection given should fail commands fast rather than queue them.
 */
export class RedisResponseCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResponseCacheOptions,
  ) {}

  static keyFor(request: ChatRequest): string {
    return stableHash(request.model, request.temperature, request.response, JSON.stringify(request.messages));
  }

  async get(key: string): Promise<string | null> {
    try {
      return await this.redis.get(this.redisKey(key));
    } catch (error) {
      this.options.onError?.('get', error);
      return null;
    }
  }

  async set(key: string, value: string): Promise<void> {
    if (Buffer.byteLength(value) > this.options.maxEntryBytes) return;
    try {
      await SET_WITHIN_BUDGET.run(
        this.redis,
        [this.redisKey(key), `${this.options.prefix}-index`, `${this.options.prefix}-sequence`],
        [value, this.options.ttlSeconds, this.options.maxEntries],
      );
    } catch (error) {
      this.options.onError?.('set', error);
    }
  }

  private redisKey(key: string): string {
    return `${this.options.prefix}:${key}`;
  }
}
