import { batchPerTurn, stableHash } from '@app/common';
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
 * Stores entries and keeps the budget in one step: the index (a sorted set in order of writing)
 * counts the entries, and when it holds more than the budget the oldest go. Every entry has the same
 * TTL, so the oldest written are also the first to expire; one that expired already only counts
 * until it is pushed out, which keeps the live entries below the budget.
 * KEYS: index, sequence, then the entries. ARGV: ttl seconds, budget, then each entry's value.
 */
const SET_WITHIN_BUDGET = new RedisScript(`
local ttl_ms = tonumber(ARGV[1]) * 1000
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i], 'PX', ttl_ms)
  redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), KEYS[i])
end
local over = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[2])
if over > 0 then
  local oldest = redis.call('ZPOPMIN', KEYS[1], over)
  for i = 1, #oldest, 2 do redis.call('DEL', oldest[i]) end
end
redis.call('PEXPIRE', KEYS[1], ttl_ms)
redis.call('PEXPIRE', KEYS[2], ttl_ms)
return over
`);

interface Entry {
  redisKey: string;
  value: string;
}

/**
 * LLM answers keyed by the request, shared by every replica, so a retried job never pays twice.
 * Bounded on any Redis: at most `maxEntries` entries of at most `maxEntryBytes`, each for `ttlSeconds`
 * (see ADR "response cache"). Best effort: a cache that fails or does not answer is a miss, and the
 * answer is not stored; the Redis connection given should fail commands fast rather than queue them.
 * The reads of one turn of the event loop go as one MGET and its writes as one script call: a chunk's
 * calls start together and their answers mostly come back together (ADR 30).
 */
export class RedisResponseCache implements ResponseCache {
  private readonly reads = batchPerTurn<string, string | null>((redisKeys) => this.readAll(redisKeys));
  private readonly writes = batchPerTurn<Entry, void>((entries) => this.writeAll(entries));

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResponseCacheOptions,
  ) {}

  static keyFor(request: ChatRequest): string {
    return stableHash(request.model, request.temperature, request.response, JSON.stringify(request.messages));
  }

  get(key: string): Promise<string | null> {
    return this.reads.submit(this.redisKey(key));
  }

  async set(key: string, value: string): Promise<void> {
    if (Buffer.byteLength(value) > this.options.maxEntryBytes) return;
    await this.writes.submit({ redisKey: this.redisKey(key), value });
  }

  private async readAll(redisKeys: string[]): Promise<{ value: string | null }[]> {
    try {
      return (await this.redis.mget(redisKeys)).map((value) => ({ value }));
    } catch (error) {
      this.options.onError?.('get', error);
      return redisKeys.map(() => ({ value: null }));
    }
  }

  private async writeAll(entries: Entry[]): Promise<{ value: void }[]> {
    try {
      await SET_WITHIN_BUDGET.run(
        this.redis,
        [`${this.options.prefix}-index`, `${this.options.prefix}-sequence`, ...entries.map((entry) => entry.redisKey)],
        [this.options.ttlSeconds, this.options.maxEntries, ...entries.map((entry) => entry.value)],
      );
    } catch (error) {
      this.options.onError?.('set', error);
    }
    return entries.map(() => ({ value: undefined }));
  }

  private redisKey(key: string): string {
    return `${this.options.prefix}:${key}`;
  }
}
