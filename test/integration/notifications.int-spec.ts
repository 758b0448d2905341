import { randomUUID } from 'crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import type { NotifySpec, TaskSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { BatchStore, OutboxStore, TaskRepository } from '@app/persistence';
import { openTestDataSource } from '../support/database';

// The notification trigger against the real test database: every way a task ends writes its
// notification into the outbox in the same statement, and a batch's is written once, by its last end.
describe('webhook notifications in the outbox (Postgres trigger)', () => {
  let db: DataSource;
  let tasks: TaskRepository;
  let batches: BatchStore;
  let outbox: OutboxStore;
  const createdTasks: string[] = [];
  const createdBatches: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource({ poolSize: 6 });
    tasks = new TaskRepository(db);
    batches = new BatchStore(db);
    outbox = new OutboxStore(db);
  });

  afterAll(async () => {
    if (!db) return;
    await db.query('DELETE FROM tasks WHERE id = ANY($1::uuid[])', [createdTasks]);
    await db.query('DELETE FROM batches WHERE id = ANY($1::uuid[])', [createdBatches]);
    await db.destroy();
  });

  const NOTIFY: NotifySpec = { webhook: { url: 'http://hooks.test/n', secret: 'a-secret-of-16-chars' } };
  const spec = (notify?: NotifySpec): TaskSpec => ({
    sources: [{ id: 's1', type: DataSourceType.API, url: 'u' }],
    dimensions: [],
    ...(notify ? { notify } : {}),
  });
  const LIMITS = { softSeconds: 10, hardSeconds: 20 };

  async function runningTask(notify?: NotifySpec): Promise<string> {
    const id = randomUUID();
    createdTasks.push(id);
    await tasks.create({ id, spec: spec(notify), limits: LIMITS });
    await tasks.start(id);
    return id;
  }

  const notification = async (taskId: string) =>
    (await outbox.forTask(taskId)).filter((delivery) => delivery.key === 'notify');

  it('writes task.completed, task.failed or task.cancelled as the task ends, once, without the secret', async () => {
    const completed = await runningTask(NOTIFY);
    const failed = await runningTask(NOTIFY);
    const cancelled = await runningTask(NOTIFY);
    expect(await notification(completed)).toEqual([]);

    await db.query(`UPDATE tasks SET status = 'completed_with_errors', finished_at = now() WHERE id = $1`, [completed]);
    expect(await tasks.fail(failed, 'time limit exceeded')).toBe(true);
    expect((await tasks.cancel(cancelled)).kind).toBe('cancelled');
    // Ended already: nothing moves it, nothing more is written.
    expect((await tasks.cancel(completed)).kind).toBe('already-ended');

    for (const [id, event] of [
      [completed, 'task.completed'],
      [failed, 'task.failed'],
      [cancelled, 'task.cancelled'],
    ]) {
      const rows = await notification(id);
      expect(rows.map((row) => [row.kind, row.status, row.spec])).toEqual([
        ['notify.webhook', 'pending', { event, url: NOTIFY.webhook.url }],
      ]);
    }
  });

  it('writes nothing for a task without notify, nor while a task moves between active states', async () => {
    const plain = await runningTask();
    await tasks.cancel(plain);
    const pending = randomUUID();
    createdTasks.push(pending);
    await tasks.create({ id: pending, spec: spec(NOTIFY), limits: LIMITS });
    await tasks.start(pending);
    expect(await outbox.forTask(plain)).toEqual([]);
    expect(await outbox.forTask(pending)).toEqual([]);
  });

  it("writes a batch's batch.completed once, when the last of its tasks ends, also when they end at once", async () => {
    const batchId = randomUUID();
    createdBatches.push(batchId);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await batches.create(
      batchId,
      null,
      ids.map((id) => ({ id, spec: spec(), limits: LIMITS })),
      NOTIFY,
    );
    for (const id of ids) await tasks.start(id);

    // Each task ends in a transaction of its own, every UPDATE issued before the first commit: without
    // the batch row's lock, each would see the others still running and none would write the event.
    const runners: QueryRunner[] = ids.map(() => db.createQueryRunner());
    try {
      for (const runner of runners) await runner.startTransaction();
      const end = (index: number) =>
        runners[index].query(`UPDATE tasks SET status = 'completed', finished_at = now() WHERE id = $1`, [ids[index]]);
      await end(0);
      const waiting = [1, 2].map((index) => end(index).then(() => index));
      await runners[0].commitTransaction();
      // The two others take the batch's lock in turn, in whichever order Postgres grants it.
      const next = await Promise.race(waiting);
      await runners[next].commitTransaction();
      const last = next === 1 ? 2 : 1;
      await waiting[last - 1];
      await runners[last].commitTransaction();
    } finally {
      for (const runner of runners) await runner.release();
    }

    const rows = await outbox.forBatch(batchId);
    expect(rows.map((row) => [row.key, row.kind, row.spec])).toEqual([
      ['notify', 'notify.webhook', { event: 'batch.completed', url: NOTIFY.webhook.url }],
    ]);
    // The tasks themselves had no notify of their own.
    for (const id of ids) expect(await outbox.forTask(id)).toEqual([]);
    const [claimed] = (await outbox.claimDue(1000, 60_000)).filter((delivery) => delivery.batchId === batchId);
    expect(claimed).toMatchObject({ taskId: null, batchId, kind: 'notify.webhook', attempts: 1 });
    expect(claimed.createdAt).toBeInstanceOf(Date);
  }, 30_000);

  it('writes nothing for a batch without notify, and a task purged takes its notification along', async () => {
    const batchId = randomUUID();
    createdBatches.push(batchId);
    const [only] = [randomUUID()];
    await batches.create(batchId, null, [{ id: only, spec: spec(NOTIFY), limits: LIMITS }]);
    await tasks.cancel(only);
    expect(await outbox.forBatch(batchId)).toEqual([]);
    expect(await notification(only)).toHaveLength(1);
    await tasks.remove(only);
    const [{ count }] = await db.query<{ count: number }[]>(
      'SELECT count(*)::int AS count FROM deliveries WHERE task_id = $1',
      [only],
    );
    expect(count).toBe(0);
  });
});
