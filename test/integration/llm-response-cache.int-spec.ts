import type Redis from 'ioredis';
import { cacheBoundProblem, cacheConnection, CacheRedisCheck, RedisResponseCache } from '@app/llm';
import { freePort } from '../support/net';
import { openTestRedis } from '../support/redis';
import { RedisServer } from '../support/redis-server';

const count = async (redis: Redis, prefix: string) => (await redis.keys(`${prefix}:*`)).length;

describe(RedisResponseCache.name, () => {
  const prefix = `test:llm-response-cache:${process.pid}:${Date.now()}`;
  let redis: Redis;

  beforeAll(() => {
    redis = openTestRedis();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const cacheOn = (
    client: Redis,
    name: string,
    overrides: Partial<{ maxEntries: number; maxEntryBytes: number }> = {},
  ) =>
    new RedisResponseCache(client, {
      prefix: `${prefix}:${name}`,
      ttlSeconds: 120,
      maxEntries: 1_000,
      maxEntryBytes: 1_024,
      ...overrides,
    });

  it('stores answers under the prefix with the configured TTL', async () => {
    const cache = cacheOn(redis, 'ttl');
    await expect(cache.get('missing')).resolves.toBeNull();
    await cache.set('k1', '{"score": 0.5}');
    await expect(cache.get('k1')).resolves.toBe('{"score": 0.5}');
    const ttl = await redis.pttl(`${prefix}:ttl:k1`);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('keeps to its budget on a Redis that never evicts: the oldest entries go, the newest stay', async () => {
    const cache = cacheOn(redis, 'budget', { maxEntries: 5 });
    for (let entry = 1; entry <= 12; entry += 1) await cache.set(`k${entry}`, `answer ${entry}`);

    expect(await count(redis, `${prefix}:budget`)).toBe(5);
    for (let entry = 1; entry <= 7; entry += 1) await expect(cache.get(`k${entry}`)).resolves.toBeNull();
    for (let entry = 8; entry <= 12; entry += 1) await expect(cache.get(`k${entry}`)).resolves.toBe(`answer ${entry}`);
    // Writing an entry again keeps one copy.
    await cache.set('k12', 'answer 12');
    expect(await count(redis, `${prefix}:budget`)).toBe(5);
  });

  it('keeps the same budget and order when concurrent callers read and write together', async () => {
    const cache = cacheOn(redis, 'together', { maxEntries: 5 });
    const entries = Array.from({ length: 12 }, (_, index) => index + 1);
    // One turn of the event loop: one script call stores all twelve, in the order they were given.
    await Promise.all(entries.map((entry) => cache.set(`k${entry}`, `answer ${entry}`)));

    expect(await count(redis, `${prefix}:together`)).toBe(5);
    const read = await Promise.all(entries.map((entry) => cache.get(`k${entry}`)));
    expect(read).toEqual(entries.map((entry) => (entry <= 7 ? null : `answer ${entry}`)));
  });

  it('does not keep an answer longer than its entry limit', async () => {
    const cache = cacheOn(redis, 'size', { maxEntryBytes: 256 });
    await cache.set('long', 'é'.repeat(200)); // 400 bytes in UTF-8
    await cache.set('short', 'x'.repeat(256));
    await expect(cache.get('long')).resolves.toBeNull();
    await expect(cache.get('short')).resolves.toBe('x'.repeat(256));
  });

  it('is a miss, not a failure nor a wait, while its Redis is unreachable', async () => {
    const down = cacheConnection(`redis://127.0.0.1:${await freePort()}`, redis);
    down.on('error', () => undefined);
    const errors: string[] = [];
    const cache = new RedisResponseCache(down, {
      prefix: `${prefix}:down`,
      ttlSeconds: 60,
      maxEntries: 10,
      maxEntryBytes: 1_024,
      onError: (operation) => errors.push(operation),
    });
    try {
      await expect(cache.get('k')).resolves.toBeNull();
      await expect(cache.set('k', 'v')).resolves.toBeUndefined();
      expect(errors).toEqual(['get', 'set']);
    } finally {
      down.disconnect();
    }
  });

  describe('on a Redis of its own (CACHE_REDIS_URL)', () => {
    let lru: RedisServer;
    let unbounded: RedisServer;

    beforeAll(async () => {
      lru = await RedisServer.start(['--maxmemory', '16mb', '--maxmemory-policy', 'allkeys-lru']);
      unbounded = await RedisServer.start(['--maxmemory-policy', 'noeviction']);
    }, 30_000);

    afterAll(async () => {
      await lru?.stop();
      await unbounded?.stop();
    });

    it('writes its entries there, not to the queue Redis', async () => {
      const own = cacheConnection(lru.url, redis);
      try {
        await new Promise((resolve) => own.once('ready', resolve));
        const cache = cacheOn(own, 'own');
        await cache.set('k', 'v');
        await expect(cache.get('k')).resolves.toBe('v');
        expect(await count(own, `${prefix}:own`)).toBe(1);
        expect(await count(redis, `${prefix}:own`)).toBe(0);
      } finally {
        own.disconnect();
      }
    });

    it('is accepted at start with maxmemory and allkeys-lru, refused without a bound, warned about when down', async () => {
      await expect(new CacheRedisCheck(lru.url).onApplicationBootstrap()).resolves.toBeUndefined();
      await expect(new CacheRedisCheck(unbounded.url).onApplicationBootstrap()).rejects.toThrow(
        /CACHE_REDIS_URL .*maxmemory 0, maxmemory-policy 'noeviction'/,
      );
      await expect(
        new CacheRedisCheck(`redis://127.0.0.1:${await freePort()}`).onApplicationBootstrap(),
      ).resolves.toBeUndefined();
      await expect(new CacheRedisCheck(undefined).onApplicationBootstrap()).resolves.toBeUndefined();
    }, 30_000);
  });
});

describe(cacheBoundProblem.name, () => {
  it('accepts a maxmemory with an allkeys-* policy only', () => {
    expect(cacheBoundProblem(16 << 20, 'allkeys-lru')).toBeUndefined();
    expect(cacheBoundProblem(16 << 20, 'allkeys-lfu')).toBeUndefined();
    expect(cacheBoundProblem(0, 'allkeys-lru')).toMatch(/maxmemory 0/);
    expect(cacheBoundProblem(16 << 20, 'noeviction')).toMatch(/'noeviction'/);
    expect(cacheBoundProblem(16 << 20, 'volatile-lru')).toMatch(/allkeys-/);
  });
});
