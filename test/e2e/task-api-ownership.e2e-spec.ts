import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto } from '@app/contracts';
import { EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { TestSystem } from './support/test-system';

/**
 * Every read and act of the task API with API keys: two keys and an admin key on the whole system
 * (tasks run to their end). Key names are new on every run, so "alice's tasks" are this run's only.
 */
describe('task API with API keys: every list, statistic, result, retry, purge, batch and stream is the caller’s', () => {
  const run = randomBytes(4).toString('hex');
  const ALICE = { name: `alice-${run}`, key: `alice-secret-${run}` };
  const BOB = { name: `bob-${run}`, key: `bob-secret-${run}` };
  const ROOT = { name: `root-${run}`, key: `root-secret-${run}` };
  const CAP = 5;
  let system: TestSystem;
  let db: DataSource;
  const task: CreateTaskDto = { ...EXAMPLE_TASK, labels: { run } };

  const call = (who: { key: string }, method: string, path: string, body?: unknown) =>
    system.request(method, `/api/v1${path}`, body, { Authorization: `Bearer ${who.key}` });

  async function ok(who: { key: string }, method: string, path: string, body?: unknown): Promise<any> {
    const response = await call(who, method, path, body);
    if (response.status >= 300) {
      throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    }
    return response.body;
  }

  async function waitForEnd(who: { key: string }, ids: string[]): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (const id of ids) {
      while (['pending', 'running'].includes((await ok(who, 'GET', `/tasks/${id}`)).status as string)) {
        if (Date.now() > deadline) throw new Error(`task ${id} did not end`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  const ids = (page: { items: { id: string }[] }): string[] => page.items.map((item) => item.id).sort();

  // What each key submitted: a task and a batch of two for Alice, a task and a batch of one for Bob.
  let alice: { task: string; batch: string; all: string[] };
  let bob: { task: string; batch: string; all: string[] };

  beforeAll(async () => {
    system = await TestSystem.start({
      env: {
        API_KEYS: [ALICE, BOB, ROOT].map(({ name, key }) => `${name}:${key}`).join(','),
        ADMIN_API_KEYS: ROOT.name,
        MAX_ACTIVE_TASKS_PER_KEY: String(CAP),
      },
    });
    db = await openTestDataSource();

    const aliceTask = (await ok(ALICE, 'POST', '/tasks', task)).id as string;
    const aliceBatch = await ok(ALICE, 'POST', '/batches', { tasks: [task, task] });
    const bobTask = (await ok(BOB, 'POST', '/tasks', task)).id as string;
    const bobBatch = await ok(BOB, 'POST', '/batches', { tasks: [task] });
    alice = { task: aliceTask, batch: aliceBatch.id, all: [aliceTask, ...aliceBatch.task_ids].sort() };
    bob = { task: bobTask, batch: bobBatch.id, all: [bobTask, ...bobBatch.task_ids].sort() };
    await waitForEnd(ALICE, alice.all);
    await waitForEnd(BOB, bob.all);
  }, 120_000);

  afterAll(async () => {
    await system?.stop();
    await db?.query(`DELETE FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    await db?.query('DELETE FROM batches WHERE owner = ANY($1)', [[ALICE.name, BOB.name, ROOT.name]]);
    await db?.destroy();
  }, 30_000);

  it('lists, for a key, its own tasks only (also active ones and by status); an admin key lists everyone’s', async () => {
    expect(ids(await ok(ALICE, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(alice.all);
    expect(ids(await ok(BOB, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(bob.all);
    expect(ids(await ok(ROOT, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual([...alice.all, ...bob.all].sort());
    const ended = 'completed,completed_with_errors,failed';
    expect(ids(await ok(BOB, 'GET', `/tasks?label=run:${run}&status=${ended}`))).toEqual(bob.all);

    // Keyset pages of one key never leak another's task between them.
    const first = await ok(ALICE, 'GET', `/tasks?label=run:${run}&limit=2`);
    const second = await ok(ALICE, 'GET', `/tasks?label=run:${run}&limit=2&cursor=${first.next_cursor}`);
    expect([...ids(first), ...ids(second)].sort()).toEqual(alice.all);
    expect(second.next_cursor).toBeNull();

    // An active task of Bob's is in his active list and nobody else's but the admin's.
    const slow = await ok(BOB, 'POST', '/tasks', {
      ...task,
      data_sources: [{ id: 'big', type: 'api', url: 'x', simulation: { records: 2000, latency_ms: 10 } }],
    });
    try {
      expect(ids(await ok(BOB, 'GET', `/tasks/active?label=run:${run}`))).toEqual([slow.id]);
      expect(ids(await ok(ALICE, 'GET', `/tasks/active?label=run:${run}`))).toEqual([]);
      expect(ids(await ok(ROOT, 'GET', `/tasks/active?label=run:${run}`))).toEqual([slow.id]);
      // Alice cannot cancel it, by either route; Bob can.
      expect((await call(ALICE, 'POST', `/tasks/${slow.id}/cancel`)).status).toBe(404);
      expect((await call(ALICE, 'DELETE', `/tasks/${slow.id}`)).status).toBe(404);
      expect((await ok(BOB, 'POST', `/tasks/${slow.id}/cancel`)).status).toBe('cancelled');
    } finally {
      bob.all = [...bob.all, slow.id].sort();
    }
  }, 60_000);

  it('counts, for a key, its own tasks in the statistics; an admin key counts everyone’s', async () => {
    const aliceStats = await ok(ALICE, 'GET', '/tasks/stats');
    const bobStats = await ok(BOB, 'GET', '/tasks/stats');
    const rootStats = await ok(ROOT, 'GET', '/tasks/stats');
    // Key names are this run's own, so a key's counts are exactly what it submitted.
    expect(aliceStats.counts.total).toBe(alice.all.length);
    expect(bobStats.counts.total).toBe(bob.all.length);
    expect(bobStats.counts.cancelled).toBe(1);
    expect(aliceStats.finished.last_15m).toBe(alice.all.length);
    expect(aliceStats.durations.total.count).toBe(alice.all.length);
    expect(rootStats.counts.total).toBeGreaterThanOrEqual(alice.all.length + bob.all.length);
    expect(rootStats.finished.last_15m).toBeGreaterThanOrEqual(alice.all.length + bob.all.length);
  }, 30_000);

  it('answers 404 for another key’s task on every route about one task, and leaves it as it was', async () => {
    const path = `/tasks/${bob.task}`;
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/result'],
      ['GET', '/events'],
      ['GET', '/export?format=csv'],
      ['POST', '/cancel'],
      ['POST', '/retry'],
      ['DELETE', ''],
      ['DELETE', '?purge=true'],
    ] as const) {
      const answer = await call(ALICE, method, `${path}${suffix}`);
      expect({ route: `${method} ${suffix}`, status: answer.status }).toEqual({
        route: `${method} ${suffix}`,
        status: 404,
      });
    }
    expect((await ok(BOB, 'GET', `${path}/result`)).dimensions).toHaveLength(2);
    expect((await ok(ROOT, 'GET', `${path}/result`)).dimensions).toHaveLength(2);
    // Nothing was retried for Alice, and Bob's task is still there.
    expect(ids(await ok(ALICE, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(alice.all);
    expect((await ok(BOB, 'GET', path)).status).not.toBe('cancelled');
  }, 30_000);

  it('gives a retry to the key that asked for it: the owner, or an admin', async () => {
    const own = await ok(BOB, 'POST', `/tasks/${bob.task}/retry`);
    const admin = await ok(ROOT, 'POST', `/tasks/${bob.task}/retry`);
    bob.all = [...bob.all, own.id].sort();
    expect((await ok(BOB, 'GET', `/tasks/${own.id}`)).retry_of).toBe(bob.task);
    expect((await call(BOB, 'GET', `/tasks/${admin.id}`)).status).toBe(404);
    expect((await ok(ROOT, 'GET', `/tasks/${admin.id}`)).retry_of).toBe(bob.task);
    await waitForEnd(ROOT, [own.id, admin.id]);
    // The admin's retry is not in Bob's list.
    expect(ids(await ok(BOB, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(bob.all);
  }, 60_000);

  it('answers 404 for another key’s batch and its tasks; the admin key sees it', async () => {
    for (const suffix of ['', '/tasks']) {
      expect((await call(ALICE, 'GET', `/batches/${bob.batch}${suffix}`)).status).toBe(404);
    }
    expect((await ok(BOB, 'GET', `/batches/${bob.batch}`)).total).toBe(1);
    expect((await ok(ROOT, 'GET', `/batches/${bob.batch}`)).done).toBe(true);
    expect((await ok(ALICE, 'GET', `/batches/${alice.batch}/tasks`)).items).toHaveLength(2);
    expect((await ok(ROOT, 'GET', `/batches/${alice.batch}/tasks`)).items).toHaveLength(2);
  }, 30_000);

  it('counts a batch against the key’s cap on active tasks: 429 with Retry-After, nothing stored', async () => {
    const refused = await call(ALICE, 'POST', '/batches', { tasks: Array.from({ length: CAP + 1 }, () => task) });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(new RegExp(`${CAP + 1} more would pass its cap of ${CAP}`));
    expect(ids(await ok(ALICE, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(alice.all);
  }, 30_000);

  it('purges a key’s own task; another key’s purge changed nothing before', async () => {
    expect((await call(BOB, 'DELETE', `/tasks/${bob.task}?purge=true`)).status).toBe(204);
    expect((await call(BOB, 'GET', `/tasks/${bob.task}`)).status).toBe(404);
    expect((await call(ROOT, 'GET', `/tasks/${bob.task}`)).status).toBe(404);
    bob.all = bob.all.filter((id) => id !== bob.task);
    expect(ids(await ok(BOB, 'GET', `/tasks?label=run:${run}&limit=200`))).toEqual(bob.all);
  }, 30_000);
});
