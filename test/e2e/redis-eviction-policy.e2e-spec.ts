import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { delay, freePort, TestSystem } from './support/test-system';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A gateway pointed at a Redis that may evict keys (a private redis-server of the test's own, so the
 * shared one is never reconfigured) refuses to start, naming the policy; the test-only override lets
 * it start.
 */
describe('the queue Redis must not evict', () => {
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = spawn('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'allkeys-lru',
    ]);
    const deadline = Date.now() + 10_000;
    while (!(await accepts(port)) && Date.now() < deadline) await delay(100);
  }, 20_000);

  afterAll(async () => {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
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
