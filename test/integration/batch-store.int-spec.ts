import { randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import type { TaskSpec } from '@app/contracts';
import { DataSourceType, TaskStatus } from '@app/contracts';
import { BatchStore, TaskQueryStore } from '@app/persistence';
import { openTestDataSource } from '../support/database';

// Batches against the real test database: stored whole, aggregated from their tasks' rows.
describe(`${BatchStore.name} (Postgres)`, () => {
  let db: DataSource;
  let batches: BatchStore;
  const created: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    batches = new BatchStore(db);
  });

  afterAll(async () => {
    if (!db) return;
    await db.query('DELETE FROM batches WHERE id = ANY($1::uuid[])', [created]);
    await db.destroy();
  });

  const SPEC: TaskSpec = {
    sources: [
      { id: 's1', type: DataSourceType.API, url: 'u' },
      { id: 's2', type: DataSourceType.API, url: 'v' },
    ],
    llm: { model: 'm' },
    dimensions: [{ id: 'd', name: 'quality', threshold: 0.5 }],
    labels: { team: 'search' },
  };
  const LIMITS = { softSeconds: 10, hardSeconds: 20 };

  async function batchOf(count: number): Promise<{ id: string; taskIds: string[] }> {
    const id = randomUUID();
    created.push(id);
    const taskIds = Array.from({ length: count }, () => randomUUID());
    await batches.create(
      id,
      'alice',
      taskIds.map((taskId) => ({ id: taskId, spec: SPEC, limits: LIMITS, owner: 'alice' })),
    );
    return { id, taskIds };
  }

  it('stores every task of the batch pending, in its position, with the batch id', async () => {
    const { id, taskIds } = await batchOf(3);
    const rows = await db.query(
      `SELECT id, status, batch_id, batch_index, sources_total, labels, soft_limit_s FROM tasks
       WHERE batch_id = $1 ORDER BY batch_index`,
      [id],
    );
    expect(rows).toEqual(
      taskIds.map((taskId, index) => ({
        id: taskId,
        status: 'pending',
        batch_id: id,
        batch_index: index,
        sources_total: 2,
        labels: { team: 'search' },
        soft_limit_s: 10,
      })),
    );
  });

  it('aggregates the tasks: counts, done, first start, last end, and the first errors in submission order', async () => {
    const { id, taskIds } = await batchOf(5);
    const open = await batches.aggregate(id);
    expect(open).toMatchObject({ total: 5, done: false, startedAt: null, finishedAt: null });
    expect(open?.counts[TaskStatus.PENDING]).toBe(5);

    const set = (index: number, status: TaskStatus, started: string, finished: string | null, error: string | null) =>
      db.query(
        `UPDATE tasks SET status = $2, started_at = now() - $3::interval, finished_at = now() - $4::interval, error = $5
         WHERE id = $1`,
        [taskIds[index], status, started, finished, error],
      );
    await set(0, TaskStatus.COMPLETED, '50 seconds', '40 seconds', null);
    await set(1, TaskStatus.FAILED, '45 seconds', '30 seconds', 'every data source failed');
    await set(2, TaskStatus.COMPLETED_WITH_ERRORS, '44 seconds', '10 seconds', null);
    await set(3, TaskStatus.FAILED, '43 seconds', '20 seconds', 'time limit exceeded');
    expect((await batches.aggregate(id))?.done).toBe(false);
    await set(4, TaskStatus.CANCELLED, '42 seconds', '5 seconds', null);

    const closed = await batches.aggregate(id);
    const [{ started, finished }] = await db.query(
      'SELECT min(started_at) AS started, max(finished_at) AS finished FROM tasks WHERE batch_id = $1',
      [id],
    );
    expect(closed).toMatchObject({ done: true, startedAt: started, finishedAt: finished });
    expect(closed?.counts).toEqual({
      [TaskStatus.PENDING]: 0,
      [TaskStatus.RUNNING]: 0,
      [TaskStatus.COMPLETED]: 1,
      [TaskStatus.COMPLETED_WITH_ERRORS]: 1,
      [TaskStatus.FAILED]: 2,
      [TaskStatus.CANCELLED]: 1,
    });
    expect(await batches.errors(id, 10)).toEqual([
      { taskId: taskIds[1], status: TaskStatus.FAILED, error: 'every data source failed' },
      { taskId: taskIds[3], status: TaskStatus.FAILED, error: 'time limit exceeded' },
    ]);
    expect(await batches.errors(id, 1)).toHaveLength(1);
  });

  it("lists a batch's tasks, and only them, with the task list's filters", async () => {
    const { id, taskIds } = await batchOf(4);
    await batchOf(2);
    const page = await new TaskQueryStore(db).list({ batchId: id }, undefined, 10);
    expect(page.rows.map((row) => row.id).sort()).toEqual([...taskIds].sort());
    expect(page.rows.every((row) => row.batchId === id)).toBe(true);
    const none = await new TaskQueryStore(db).list({ batchId: id, statuses: [TaskStatus.RUNNING] }, undefined, 10);
    expect(none.rows).toEqual([]);
  });

  it('removes a batch with its tasks, and knows an unknown batch (no owner) from a known one', async () => {
    const { id, taskIds } = await batchOf(2);
    expect(await batches.ownerOf(id)).toBe('alice');
    await batches.remove(id);
    expect(await batches.ownerOf(id)).toBeUndefined();
    expect(await batches.aggregate(id)).toBeUndefined();
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM tasks WHERE id = ANY($1::uuid[])', [
      taskIds,
    ]);
    expect(count).toBe(0);
  });
});
