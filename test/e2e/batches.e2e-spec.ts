import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { TestSystem } from './support/test-system';

/**
 * One source of one record: the smallest task that still goes through every stage. Its source never
 * fails (the default 10 % per fetch, four attempts, would fail about one task in a thousand).
 */
const tiny = (labels: Record<string, string>): CreateTaskDto => ({
  data_sources: [
    { id: 's', type: DataSourceType.API, url: 'x', simulation: { records: 1, latency_ms: 0, failure_rate: 0 } },
  ],
  llm_config: { model: 'm' },
  dimensions: [{ id: 'd', name: 'quality', threshold: 0.5 }],
  labels,
});

/** A task whose only source always fails: it ends failed, with an error. */
const failing = (labels: Record<string, string>): CreateTaskDto => ({
  ...tiny(labels),
  data_sources: [{ id: 'down', type: DataSourceType.API, url: 'x', simulation: { failure_rate: 1, latency_ms: 0 } }],
});

describe('batches (apps as processes)', () => {
  const run = randomBytes(4).toString('hex');
  let system: TestSystem;
  let db: DataSource;

  beforeAll(async () => {
    // A fast provider and quick retries, so that a thousand tiny tasks take seconds, not minutes.
    system = await TestSystem.start({
      env: {
        WORKER_CONCURRENCY: '16',
        LLM_RATE_LIMIT_RPM: '1000000',
        SIM_LLM_RPM: '1000000',
        SIM_LLM_LATENCY_MIN_MS: '0',
        SIM_LLM_LATENCY_MAX_MS: '2',
        SIM_LLM_FAILURE_RATE: '0',
        COLLECT_BACKOFF_BASE_MS: '1',
        COLLECT_BACKOFF_MAX_MS: '2',
      },
    });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.query(`DELETE FROM batches WHERE id IN (SELECT batch_id FROM tasks WHERE labels ->> 'run' = $1)`, [run]);
    await db?.destroy();
  }, 30_000);

  it('runs a batch of 1,000 tasks to the end; its aggregate matches the tasks’ own rows', async () => {
    const tasks = Array.from({ length: 1000 }, (_, index) =>
      index % 100 === 7 ? failing({ run, index: String(index) }) : tiny({ run, index: String(index) }),
    );
    const accepted = await system.request('POST', '/api/v1/batches', { tasks });
    expect(accepted.status).toBe(202);
    const { id, task_ids: taskIds } = accepted.body;
    expect(taskIds).toHaveLength(1000);
    expect(accepted.headers.get('location')).toBe(`/api/v1/batches/${id}`);

    let batch = (await system.request('GET', `/api/v1/batches/${id}`)).body;
    const deadline = Date.now() + 120_000;
    while (!batch.done) {
      if (Date.now() > deadline) throw new Error(`batch not done in time: ${JSON.stringify(batch)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      batch = (await system.request('GET', `/api/v1/batches/${id}`)).body;
    }

    // The same figures, straight from the rows.
    const rows = await db.query<{ id: string; status: string; started_at: Date; finished_at: Date; error: string }[]>(
      'SELECT id, status, started_at, finished_at, error FROM tasks WHERE batch_id = $1 ORDER BY batch_index',
      [id],
    );
    expect(rows.map((row) => row.id)).toEqual(taskIds);
    const count = (status: string) => rows.filter((row) => row.status === status).length;
    expect(batch.counts).toEqual({
      pending: 0,
      running: 0,
      completed: count('completed'),
      completed_with_errors: count('completed_with_errors'),
      failed: count('failed'),
      cancelled: 0,
      total: 1000,
    });
    expect(batch.failed).toBe(10);
    expect(batch.succeeded).toBe(990);
    expect(batch.total).toBe(1000);
    const times = (key: 'started_at' | 'finished_at') => rows.map((row) => row[key].getTime()).sort((a, b) => a - b);
    expect(batch.started_at).toBe(new Date(times('started_at')[0]).toISOString());
    expect(batch.finished_at).toBe(new Date(times('finished_at')[999]).toISOString());
    expect(batch.duration_ms).toBe(new Date(batch.finished_at).getTime() - new Date(batch.created_at).getTime());
    const failedRows = rows.filter((row) => row.status === 'failed');
    expect(batch.errors).toEqual(
      failedRows.map((row) => ({ task_id: row.id, status: 'failed', error: 'every data source failed' })),
    );
    process.stdout.write(`batch of 1000 tiny tasks: done in ${batch.duration_ms} ms\n`);

    // Its tasks, walked with the task list's paging and filters.
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: any } = await system.request(
        'GET',
        `/api/v1/batches/${id}/tasks?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      listed.push(...page.body.items.map((task: any) => task.id));
      for (const task of page.body.items) expect(task.batch_id).toBe(id);
      cursor = page.body.next_cursor;
    } while (cursor);
    expect([...listed].sort()).toEqual([...taskIds].sort());
    const failedOnly = await system.request('GET', `/api/v1/batches/${id}/tasks?status=failed&limit=50`);
    expect(failedOnly.body.items.map((task: any) => task.id).sort()).toEqual(failedRows.map((row) => row.id).sort());
  }, 180_000);

  it('refuses a batch with one bad task naming its index and field, and one over the cap naming the cap; nothing stored', async () => {
    const before = await db.query('SELECT count(*)::int AS count FROM tasks');
    const bad = { ...tiny({ run }), dimensions: [{ id: 'd', name: 'quality', threshold: 7 }] };
    const refused = await system.request('POST', '/api/v1/batches', { tasks: [tiny({ run }), tiny({ run }), bad] });
    expect(refused.status).toBe(400);
    expect(refused.body.fields.map((entry: any) => entry.field)).toEqual(['tasks[2].dimensions[0].threshold']);

    const tooMany = await system.request('POST', '/api/v1/batches', {
      tasks: Array.from({ length: 1001 }, () => tiny({ run })),
    });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.message).toContain('at most 1000 tasks (BATCH_MAX_TASKS)');

    expect((await system.request('POST', '/api/v1/batches', { tasks: [] })).status).toBe(400);
    expect(await db.query('SELECT count(*)::int AS count FROM tasks')).toEqual(before);
  }, 30_000);

  it('answers 404 for an unknown batch and 400 for an id that is not a UUID', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await system.request('GET', `/api/v1/batches/${unknown}`)).status).toBe(404);
    expect((await system.request('GET', `/api/v1/batches/${unknown}/tasks`)).status).toBe(404);
    expect((await system.request('GET', '/api/v1/batches/nope')).status).toBe(400);
  });
});
