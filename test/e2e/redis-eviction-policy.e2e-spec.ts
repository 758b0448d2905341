import { RedisServer } from '../support/redis-server';
import { TestSystem } from './support/test-system';

/**
 * A gateway pointed at a Redis that may evict keys (a private redis-server of the test's own, so the
 * shared one is never reconfigured) refuses to start, naming the policy; the test-only override lets
 * it start.
 */
describe('the queue Redis must not evict', () => {
  let redis: RedisServer;
  let port: number;

  beforeAll(async () => {
    redis = await RedisServer.start(['--maxmemory-policy', 'allkeys-lru']);
    port = redis.port;
  }, 20_000);

  afterAll(async () => {
    await redis?.stop();
  });

  const gatewayOnly = { collector: 0, evaluator: 0, 'result-generator': 0 };

  it('refuses to start on allkeys-lru, naming the policy', async () => {
    await expect(TestSystem.start({ replicas: gatewayOnly, env: { REDIS_PORT: String(port) } })).rejects.toThrow(
      /maxmemory-policy is 'allkeys-lru'.*noeviction/,
    );
  }, 60_000);

  it('starts when the test-only override allows it', async () => {
    const system = await TestSystem.start({
      replicas: gatewayOnly,
      env: { REDIS_PORT: String(port), REDIS_ALLOW_EVICTION: 'true' },
    });
    try {
      expect((await system.request('GET', '/health/ready')).status).toBe(200);
    } finally {
      await system.stop();
    }
  }, 60_000);
});
