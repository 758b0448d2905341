import { RedisResponseCache } from '@app/llm';
import type Redis from 'ioredis';
import { openTestRedis } from '../support/redis';

describe(RedisResponseCache.name, () => {
  const prefix = `test:llm-response-cache:${process.pid}:${Date.now()}`;
  let redis: Redis;

  beforeAll(() => {
    redis = openTestRedis();
  });

  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('stores answers under the prefix with the configured TTL', async () => {
    const cache = new RedisResponseCache(redis, { prefix, ttlSeconds: 120 });
    await expect(cache.get('missing')).resolves.toBeNull();
    await cache.set('k1', '{"score": 0.5}');
    await expect(cache.get('k1')).resolves.toBe('{"score": 0.5}');
    const ttl = await redis.pttl(`${prefix}:k1`);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });
});
