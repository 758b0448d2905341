import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, TaskPriority } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { delay, TestSystem } from './support/test-system';

/** One source of two records, fetched at once: a task that is quick once a worker takes it. */
const TINY: CreateTaskDto = {
  data_sources: [{ id: 's', type: DataSourceType.API, url: 'x', simulation: { records: 2, latency_ms: 0 } }],
  llm_config: { model: 'm' },
  dimensions: [{ id: 'd', name: 'quality', threshold: 0.5 }],
};

describe('priorities and time limits (apps as processes)', () => {
  const run = randomBytes(4).toString('hex');
  let system: TestSystem;
  let db: DataSource;

  beforeAll(async () => {
    // One job at a time per worker, and no collector yet: the queue is filled before anything is taken.
    system = await TestSystem.start({
      replicas: { collector: 0 },
      env: { WORKER_CONCURRENCY: '1', TASK_LIMIT_SWEEP_INTERVAL_MS: '250' },
    });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    // An active task left behind would be picked up by the recovery sweep of the next spec's apps.
    await db?.query(`DELETE FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    await db?.destroy();
  }, 30_000);

  it('finishes a high-priority task submitted behind 200 low-priority ones first', async () => {
    const low: string[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const ids = await Promise.all(
        Array.from({ length: 20 }, () =>
          system.submit({ ...TINY, priority: TaskPriority.LOW, labels: { run, kind: 'low' } }),
        ),
      );
      low.push(...ids);
    }
    const high = await system.submit({ ...TINY, priority: TaskPriority.HIGH, labels: { run, kind: 'high' } });
    await system.add('collector');

    const done = await system.waitForEnd(high, 60_000);
    expect(done).toMatchObject({ status: 'completed', priority: 'high' });
    const [{ before }] = await db.query(
      `SELECT count(*)::int AS before FROM tasks WHERE id = ANY($1::uuid[]) AND finished_at <= $2`,
      [low, done.finished_at],
    );
    expect(before).toBe(0);
    // Clear the backlog for the next test (their jobs are skipped once the tasks are cancelled).
    await db.query(
      `UPDATE tasks SET status = 'cancelled', finished_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('pending', 'running')`,
      [low],
    );
  }, 120_000);

  it('fails a task at its hard limit of 2 s with "time limit exceeded" and stops its work', async () => {
    const slow: CreateTaskDto = {
      ...TINY,
      data_sources: [
        { id: 'slow', type: DataSourceType.API, url: 'x', simulation: { records: 2, latency_ms: 30_000 } },
      ],
      priority: TaskPriority.HIGH,
      limits: { hard_seconds: 2 },
      labels: { run },
    };
    const submitted = await system.request('POST', '/api/v1/tasks', slow);
    expect(submitted.status).toBe(202);
    const id = submitted.body.id as string;
    expect((await system.task(id)).limits).toEqual({ soft_seconds: 2, hard_seconds: 2 });

    const failed = await system.waitForEnd(id, 30_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('time limit exceeded: the task ran past its hard limit of 2 s');
    expect(failed.progress.sources_collected + failed.progress.sources_failed).toBe(0);
    // The collect job in hand was aborted on the broadcast instead of waiting out its 30-second fetch.
    const [collector] = system.replicas('collector');
    await collector.waitForLine(new RegExp(`${id}:collect stopped`), 10_000);

    await delay(1_000);
    expect(await system.task(id)).toMatchObject({ status: 'failed', progress: { sources_collected: 0 } });
  }, 60_000);

  it('refuses a soft limit above the hard one, naming the field; nothing stored', async () => {
    const before = await db.query(`SELECT count(*)::int AS count FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    const response = await system.request('POST', '/api/v1/tasks', {
      ...TINY,
      limits: { soft_seconds: 20, hard_seconds: 10 },
      labels: { run },
    });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual([
      { field: 'limits.soft_seconds', reasons: ['soft_seconds must not exceed hard_seconds (10)'] },
    ]);
    const after = await db.query(`SELECT count(*)::int AS count FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    expect(after).toEqual(before);
  });
});
