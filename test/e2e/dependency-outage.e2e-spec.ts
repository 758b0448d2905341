import type { DataSource } from 'typeorm';
import { EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource, testDatabaseSettings } from '../support/database';
import { TcpProxy } from './support/tcp-proxy';
import { delay, TestSystem } from './support/test-system';

/** A driver's message names the host and port it could not reach; no answer may show that. */
const INTERNALS = /127\.0\.0\.1|ECONNREFUSED|Connection terminated|:\d{4,5}\b/;

/**
 * The gateway alone, reaching Postgres and Redis through proxies that the test cuts: an outage gets
 * a 503 that names no internals, stores nothing, shows in the health check, and passes when the
 * service is back.
 */
describe('gateway during a Postgres or Redis outage', () => {
  const settings = testDatabaseSettings();
  const postgres = new TcpProxy({ host: settings.DATABASE_HOST, port: settings.DATABASE_PORT });
  const redis = new TcpProxy({ host: settings.REDIS_HOST, port: settings.REDIS_PORT });
  let system: TestSystem;
  let db: DataSource;

  beforeAll(async () => {
    await Promise.all([postgres.open(), redis.open()]);
    system = await TestSystem.start({
      replicas: { collector: 0, evaluator: 0, 'result-generator': 0 },
      env: { DATABASE_PORT: String(postgres.port), REDIS_PORT: String(redis.port) },
    });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.destroy();
    await Promise.all([postgres.cut(), redis.cut()]);
  }, 30_000);

  const countTasks = async (): Promise<number> => (await db.query('SELECT count(*)::int AS count FROM tasks'))[0].count;

  async function waitForHealth(status: number): Promise<any> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const health = await system.request('GET', '/api/v1/health');
      if (health.status === status || Date.now() > deadline) return health;
      await delay(250);
    }
  }

  it('refuses a task with 503 and stores nothing while Redis is down, and accepts it again after', async () => {
    expect((await waitForHealth(200)).status).toBe(200);
    await redis.cut();

    const health = await waitForHealth(503);
    expect(health.status).toBe(503);
    expect(health.body.checks).toMatchObject({ postgres: { status: 'up' }, redis: { status: 'down' } });
    expect(JSON.stringify(health.body)).not.toMatch(INTERNALS);

    const before = await countTasks();
    const refused = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK);
    expect(refused.status).toBe(503);
    expect(refused.body.message).toMatch(/not stored/);
    expect(await countTasks()).toBe(before);

    await redis.open();
    expect((await waitForHealth(200)).status).toBe(200);
    const accepted = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK);
    expect(accepted.status).toBe(202);
    expect((await system.task(accepted.body.id)).status).toBe('pending');
  }, 60_000);

  it('answers 503 rather than 500 while Postgres is down, and serves again after', async () => {
    const id = await system.submit(EXAMPLE_TASK);
    await postgres.cut();

    const health = await waitForHealth(503);
    expect(health.body.checks).toMatchObject({ postgres: { status: 'down' }, redis: { status: 'up' } });
    const read = await system.request('GET', `/api/v1/tasks/${id}`);
    expect(read.status).toBe(503);
    expect(read.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'A backing service is unreachable; try again later',
    });
    // Readiness names Postgres; the scrape still answers, without the series Postgres would give.
    const ready = await system.request('GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.error.postgres.status).toBe('down');
    expect(JSON.stringify([health.body, ready.body])).not.toMatch(INTERNALS);
    const metrics = await system.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('dataproc_queue_jobs{');
    expect(metrics.body).not.toContain('dataproc_tasks{');

    await postgres.open();
    expect((await waitForHealth(200)).status).toBe(200);
    expect((await system.request('GET', `/api/v1/tasks/${id}`)).status).toBe(200);
  }, 60_000);
});
