import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { openTestRedis } from '../support/redis';
import { TestSystem } from './support/test-system';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** A task that keeps the evaluator busy for a while (3,000 records), to catch it active. */
const SLOW_TASK: CreateTaskDto = {
  ...EXAMPLE_TASK,
  data_sources: [{ id: 'big', type: DataSourceType.API, url: 'x', simulation: { records: 3000, latency_ms: 10 } }],
};

describe('task API: list, active, stats, result, cancel, retry, purge (apps as processes)', () => {
  const run = randomBytes(4).toString('hex');
  let system: TestSystem;
  let db: DataSource;
  let redis: Redis;
  const labelled = (labels: Record<string, string> = {}): CreateTaskDto => ({
    ...EXAMPLE_TASK,
    labels: { run, ...labels },
  });

  beforeAll(async () => {
    // Live streams beat and re-read Postgres every 300 ms here (15 s and 5 s by default).
    system = await TestSystem.start({ env: { SSE_HEARTBEAT_MS: '300', SSE_POLL_MS: '300' } });
    db = await openTestDataSource();
    redis = openTestRedis();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    // An active task left behind would be picked up by the recovery sweep of the next spec's apps.
    await db?.query(`DELETE FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    await db?.destroy();
    redis?.disconnect();
  }, 30_000);

  const get = async (path: string): Promise<any> => {
    const response = await system.request('GET', `/api/v1${path}`);
    if (response.status !== 200)
      throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };

  it('lists tasks newest first in keyset pages, filtered by label and status, never with results', async () => {
    // Marks between the submissions: created_at has microseconds, the JSON views only milliseconds.
    const ids: string[] = [];
    const marks: string[] = [];
    for (const team of ['a', 'b', 'a']) {
      ids.push(await system.submit(labelled({ team })));
      marks.push(new Date().toISOString());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await Promise.all(ids.map((id) => system.waitForEnd(id, 30_000)));

    const first = await get(`/tasks?label=run:${run}&limit=2`);
    expect(first.items.map((task: any) => task.id)).toEqual([ids[2], ids[1]]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await get(`/tasks?label=run:${run}&limit=2&cursor=${first.next_cursor}`);
    expect(second.items.map((task: any) => task.id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();

    const [summary] = first.items;
    expect(Object.keys(summary).sort()).toEqual(
      [
        'batch_id',
        'created_at',
        'error',
        'finished_at',
        'id',
        'labels',
        'limits',
        'priority',
        'progress',
        'retry_of',
        'soft_limit_reached_at',
        'stage',
        'started_at',
        'status',
        'updated_at',
      ].sort(),
    );
    expect(summary).toMatchObject({
      status: 'completed',
      labels: { run, team: 'a' },
      progress: { records_evaluated: 50 },
    });

    const teamA = await get(`/tasks?label=run:${run}&label=team:a&status=completed,failed`);
    expect(teamA.items.map((task: any) => task.id)).toEqual([ids[2], ids[0]]);
    expect((await get(`/tasks?label=run:${run}&status=pending,running`)).items).toEqual([]);

    const after = await get(`/tasks?label=run:${run}&created_after=${marks[1]}`);
    expect(after.items.map((task: any) => task.id)).toEqual([ids[2]]);
    const before = await get(`/tasks?label=run:${run}&created_before=${marks[0]}`);
    expect(before.items.map((task: any) => task.id)).toEqual([ids[0]]);
  }, 60_000);

  it('lists a running task as active until POST /cancel cancels it', async () => {
    const id = await system.submit({ ...SLOW_TASK, labels: { run, kind: 'slow' } });
    await system.waitForTask(id, (task) => task.status === 'running', 30_000);
    const active = await get(`/tasks/active?label=kind:slow&label=run:${run}`);
    expect(active.items.map((task: any) => task.id)).toEqual([id]);

    const cancelled = await system.request('POST', `/api/v1/tasks/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id, status: 'cancelled' });
    expect((await get(`/tasks/active?label=run:${run}`)).items).toEqual([]);
    const again = await system.request('POST', `/api/v1/tasks/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.status).toBe('cancelled');
  }, 60_000);

  it('pages a result: every passing record once, as GET /tasks/{id} lists them', async () => {
    const id = await system.submit(labelled());
    const task = await system.waitForEnd(id, 30_000);
    expect(task.status).toBe('completed');

    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const page = await get(`/tasks/${id}/result?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      for (const dimension of page.dimensions) expect(dimension.passed_records.length).toBeLessThanOrEqual(7);
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor);
    expect(pages.length).toBeGreaterThan(1);
    for (const [index, dimension] of task.result.dimensions.entries()) {
      const paged = pages.flatMap((page) => page.dimensions[index].passed_records);
      expect(paged).toEqual(dimension.passed_records);
      expect(pages[0].dimensions[index]).toMatchObject({
        dimension_id: dimension.dimension_id,
        statistics: dimension.statistics,
        summary: dimension.summary,
        passed_records_total: dimension.passed_records.length,
      });
    }
    expect(pages[0]).toMatchObject({ records_evaluated: 50, passed_all_dimensions: task.result.passed_all_dimensions });
    // GET /tasks/{id} shows the first page (100 records), here the whole of each dimension's list.
    expect(task.result.next_cursor).toBeNull();

    const running = await system.submit({ ...SLOW_TASK, labels: { run } });
    const none = await system.request('GET', `/api/v1/tasks/${running}/result`);
    expect(none.status).toBe(404);
    expect(['pending', 'running']).toContain(none.body.status);
    expect((await system.request('DELETE', `/api/v1/tasks/${running}`)).status).toBe(200);
    expect((await system.request('GET', `/api/v1/tasks/${UNKNOWN_ID}/result`)).status).toBe(404);
  }, 60_000);

  it('reports counts by status, recent ends and duration percentiles per stage', async () => {
    const stats = await get('/tasks/stats?window=15m');
    expect(stats.window).toBe('15m');
    const { total, ...byStatus } = stats.counts;
    expect(Object.keys(byStatus).sort()).toEqual(
      ['cancelled', 'completed', 'completed_with_errors', 'failed', 'pending', 'running'].sort(),
    );
    expect(total).toBe(Object.values(byStatus).reduce((sum: number, count: any) => sum + count, 0));
    expect(stats.counts.completed).toBeGreaterThanOrEqual(4);
    expect(stats.finished.last_15m).toBeGreaterThanOrEqual(stats.finished.last_5m);
    expect(stats.finished.last_5m).toBeGreaterThanOrEqual(stats.finished.last_1m);
    expect(stats.finished.last_15m).toBeGreaterThanOrEqual(4);
    for (const name of ['queued', 'collect', 'evaluate', 'generate', 'total']) {
      const duration = stats.durations[name];
      expect(duration.count).toBeGreaterThanOrEqual(4);
      expect(duration.p95_ms).toBeGreaterThanOrEqual(duration.p50_ms);
      expect(duration.p50_ms).toBeGreaterThanOrEqual(0);
    }
  }, 30_000);

  it('retries an ended task as a new task with the same specification and retry_of', async () => {
    const original = await system.submit(labelled({ kind: 'retried' }));
    await system.waitForEnd(original, 30_000);
    const retried = await system.request('POST', `/api/v1/tasks/${original}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('location')).toBe(`/api/v1/tasks/${retried.body.id}`);
    const copy = await system.waitForEnd(retried.body.id, 30_000);
    expect(copy).toMatchObject({ status: 'completed', retry_of: original, labels: { run, kind: 'retried' } });
    expect(copy.request).toEqual((await system.task(original)).request);

    expect((await system.request('POST', `/api/v1/tasks/${UNKNOWN_ID}/retry`)).status).toBe(404);
  }, 60_000);

  /** Rows of the task in any table, and Redis keys or queue entries that name it. */
  async function traces(id: string): Promise<string[]> {
    const found: string[] = [];
    for (const table of [
      'tasks',
      'task_sources',
      'task_records',
      'evaluation_chunks',
      'dimension_results',
      'task_results',
    ]) {
      const column = table === 'tasks' ? 'id' : 'task_id';
      const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM ${table} WHERE ${column} = $1`, [id]);
      if (count > 0) found.push(`${count} row(s) in ${table}`);
    }
    for (const key of await redis.keys(`${system.env.QUEUE_PREFIX}:*`)) {
      if (key.includes(id)) found.push(`key ${key}`);
      const type = await redis.type(key);
      const members =
        type === 'list' ? await redis.lrange(key, 0, -1) : type === 'zset' ? await redis.zrange(key, 0, -1) : [];
      for (const member of members) if (member.includes(id)) found.push(`${member} in ${key}`);
    }
    return found;
  }

  it('purges a running task and an ended one: 204, then nothing of them in Postgres or Redis', async () => {
    const ended = await system.submit(labelled());
    await system.waitForEnd(ended, 30_000);
    const running = await system.submit({ ...SLOW_TASK, labels: { run } });
    await system.waitForTask(running, (task) => task.progress.records_evaluated > 0, 30_000);
    expect(await traces(running)).not.toEqual([]);
    expect(await traces(ended)).not.toEqual([]);

    for (const id of [running, ended]) {
      const purged = await system.request('DELETE', `/api/v1/tasks/${id}?purge=true`);
      expect(purged.status).toBe(204);
      expect(await traces(id)).toEqual([]);
      expect((await system.request('GET', `/api/v1/tasks/${id}`)).status).toBe(404);
    }
    // Nothing comes back later either (a job in hand when the purge began could have queued more).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await traces(running)).toEqual([]);
    expect((await system.request('DELETE', `/api/v1/tasks/${UNKNOWN_ID}?purge=true`)).status).toBe(404);
  }, 60_000);

  it('streams snake_case counters and heartbeats, and ends with the task even when no broadcast says so', async () => {
    const id = await system.submit({ ...SLOW_TASK, labels: { run } });
    await system.waitForTask(id, (task) => task.progress.records_evaluated > 0, 30_000);
    const response = await fetch(`${system.baseUrl}/api/v1/tasks/${id}/events`, {
      signal: AbortSignal.timeout(20_000),
    });
    const reading = response.text();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Ended behind the services' backs: no broadcast reaches the gateway, only Postgres knows.
    await db.query(`UPDATE tasks SET status = 'cancelled', finished_at = now() WHERE id = $1`, [id]);

    const lines = (await reading).split('\n');
    const events = lines.filter((line) => line.startsWith('event: ')).map((line) => line.slice('event: '.length));
    const data = lines.filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
    expect(events[0]).toBe('task');
    expect(events).toContain('heartbeat');
    const progress = data.filter((_, index) => events[index] === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(Object.keys(progress[0].progress)).toEqual(expect.arrayContaining(['records_total', 'records_evaluated']));
    expect(data[data.length - 1]).toMatchObject({ id, status: 'cancelled' });
  }, 60_000);

  it.each([
    ['/tasks?status=running,bogus', 'status'],
    ['/tasks?limit=0', 'limit'],
    ['/tasks?limit=500', 'limit'],
    ['/tasks?cursor=not-a-cursor', 'cursor'],
    ['/tasks?label=team', 'label'],
    ['/tasks?created_after=yesterday', 'created_after'],
    ['/tasks/active?limit=201', 'limit'],
    ['/tasks/stats?window=forever', 'window'],
    ['/tasks/not-a-uuid/result', 'id'],
    [`/tasks/${UNKNOWN_ID}/result?limit=0`, 'limit'],
  ])('GET %s answers 400 naming %s', async (path, parameter) => {
    const response = await system.request('GET', `/api/v1${path}`);
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.body)).toContain(parameter);
    if (parameter !== 'id') expect(response.body.fields.map((entry: any) => entry.field)).toEqual([parameter]);
  });

  it.each([
    ['POST', '/tasks/not-a-uuid/retry'],
    ['POST', '/tasks/not-a-uuid/cancel'],
    ['DELETE', '/tasks/not-a-uuid?purge=true'],
    ['DELETE', `/tasks/${UNKNOWN_ID}?purge=maybe`],
  ])('%s %s answers 400', async (method, path) => {
    const response = await system.request(method, `/api/v1${path}`);
    expect(response.status).toBe(400);
    expect(response.body.message).toMatch(/uuid|purge/);
  });
});
