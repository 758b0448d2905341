import { RedisRateLimiter } from '@app/llm';
import type Redis from 'ioredis';
import { deleteKeys, openTestRedis } from '../support/redis';

describe(RedisRateLimiter.name, () => {
  const prefix = `test:llm-rate-limiter:${process.pid}:${Date.now()}`;
  let first: Redis;
  let second: Redis;

  beforeAll(() => {
    first = openTestRedis();
    second = openTestRedis();
  });

  afterAll(async () => {
    await deleteKeys(first, prefix);
    await Promise.all([first.quit(), second.quit()]);
  });

  // Two limiters on separate connections stand for two replicas sharing one limit.
  const replicas = (name: string, requestsPerMinute: number, burst?: number): [RedisRateLimiter, RedisRateLimiter] => {
    const options = { key: `${prefix}:${name}`, requestsPerMinute, burst };
    return [new RedisRateLimiter(first, options), new RedisRateLimiter(second, options)];
  };
  const noAbort = (): AbortSignal => new AbortController().signal;

  it('spaces tokens taken concurrently by two replicas at the configured rate', async () => {
    const [a, b] = replicas('rate', 600, 1);
    const tokens = 8;
    const started = Date.now();
    await Promise.all(Array.from({ length: tokens }, (_, i) => (i % 2 === 0 ? a : b).acquire(noAbort())));
    // 600 rpm is one token per 100 ms; the bucket holds one, so the last token is (N-1) intervals away.
    expect(Date.now() - started).toBeGreaterThanOrEqual((tokens - 1) * 100 * 0.9);
  });

  it('holds back the other replica while paused, and a shorter pause never shortens it', async () => {
    const [a, b] = replicas('pause', 6_000);
    await a.pause(300);
    await a.pause(50);
    const started = Date.now();
    await b.acquire(noAbort());
    expect(Date.now() - started).toBeGreaterThanOrEqual(270);
  });

  it('gives up waiting when the signal aborts', async () => {
    const [a] = replicas('abort', 6_000);
    await a.pause(10_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await expect(a.acquire(controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
