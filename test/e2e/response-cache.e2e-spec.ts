import Redis from 'ioredis';
import { EXAMPLE_TASK } from '@app/contracts';
import { openTestRedis } from '../support/redis';
import { RedisServer } from '../support/redis-server';
import { TestSystem } from './support/test-system';

/**
 * The response cache on a Redis of its own (CACHE_REDIS_URL, a private redis-server with a maxmemory
 * and allkeys-lru): a task's LLM answers are cached there and nowhere in the queue Redis; an app
 * refuses to start on a cache Redis that does not bound itself.
 */
describe('the response cache out of the queue Redis', () => {
  let lru: RedisServer;
  let unbounded: RedisServer;
  let queueRedis: Redis;

  beforeAll(async () => {
    lru = await RedisServer.start(['--maxmemory', '32mb', '--maxmemory-policy', 'allkeys-lru']);
    unbounded = await RedisServer.start(['--maxmemory-policy', 'noeviction']);
    queueRedis = openTestRedis();
  }, 30_000);

  afterAll(async () => {
    await lru?.stop();
    await unbounded?.stop();
    await queueRedis?.quit();
  });

  it("keeps a task's answers in the cache Redis only", async () => {
    const system = await TestSystem.start({ env: { CACHE_REDIS_URL: lru.url, SIM_SOURCE_FAILURE_RATE: '0' } });
    try {
      const id = await system.submit(EXAMPLE_TASK);
      expect((await system.waitForEnd(id, 60_000)).status).toMatch(/^completed/);
      const pattern = `${system.env.QUEUE_PREFIX}:llm:cache:*`;
      const cacheRedis = new Redis(lru.url);
      try {
        expect((await cacheRedis.keys(pattern)).length).toBeGreaterThan(0);
      } finally {
        await cacheRedis.quit();
      }
      expect(await queueRedis.keys(pattern)).toEqual([]);
    } finally {
      await system.stop();
    }
  }, 120_000);

  it('refuses to start an LLM worker on a cache Redis without maxmemory and an evicting policy', async () => {
    await expect(
      TestSystem.start({
        replicas: { gateway: 0, collector: 0, 'result-generator': 0 },
        env: { CACHE_REDIS_URL: unbounded.url },
      }),
    ).rejects.toThrow(/CACHE_REDIS_URL names a Redis that does not bound itself/);
  }, 60_000);
});
