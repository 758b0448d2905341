import { randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import { DataSourceType, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskSpec } from '@app/contracts';
import type { TaskState } from '@app/persistence';
import { TaskRepository } from '@app/persistence';
import type { StageDispatcher } from '@app/pipeline';
import { StageRecovery } from '@app/pipeline';
import { deleteTasks, openTestDataSource } from '../support/database';

const SPEC: TaskSpec = {
  sources: [{ id: 's1', type: DataSourceType.API, url: 'https://example.test/s1' }],
  llm: { model: 'test-model' },
  dimensions: [{ id: 'dim1', name: 'quality', threshold: 0.5 }],
};

/**
 * A submission stores its task, then queues it; when queueing fails the gateway answers 503 and
 * removes the task — and when that removal fails too (Postgres went as well), the task must never
 * run. The collector's recovery sweep, against the real test database, removes such a task instead
 * of queueing it, and still re-queues a task whose queued job Redis lost.
 */
describe('tasks stored by a failed submission (Postgres)', () => {
  const STALE_MS = 60_000;
  let db: DataSource;
  let tasks: TaskRepository;
  const redispatched: TaskState[] = [];
  let recovery: StageRecovery;
  const created: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    tasks = new TaskRepository(db);
    const dispatcher = { redispatch: async (task: TaskState) => void redispatched.push(task) };
    recovery = new StageRecovery(
      { stage: TaskStage.COLLECT, staleAfterMs: STALE_MS, intervalMs: 60_000 },
      tasks,
      dispatcher as unknown as StageDispatcher,
    );
  });

  afterAll(async () => {
    await deleteTasks(db, created);
    await db.destroy();
  });

  async function submitted(queued: boolean, ageMs: number): Promise<string> {
    const id = randomUUID();
    created.push(id);
    await tasks.create({ id, spec: SPEC, limits: { softSeconds: 3300, hardSeconds: 3600 } });
    if (queued) await tasks.markQueued(id);
    await db.query(
      `UPDATE tasks SET created_at = now() - make_interval(secs => $2), updated_at = now() - make_interval(secs => $2)
       WHERE id = $1`,
      [id, ageMs / 1000],
    );
    return id;
  }

  const exists = async (id: string) => (await db.query('SELECT 1 FROM tasks WHERE id = $1', [id])).length === 1;

  it('removes a stale task that was never queued, re-queues a stale queued one, and leaves a fresh one', async () => {
    const abandoned = await submitted(false, 10 * STALE_MS);
    const lostJob = await submitted(true, 10 * STALE_MS);
    const inFlight = await submitted(false, 0);

    await recovery.sweep();

    expect(await exists(abandoned)).toBe(false);
    expect(redispatched.map((task) => task.id)).not.toContain(abandoned);
    expect(redispatched.filter((task) => task.id === lostJob)).toEqual([
      expect.objectContaining({ status: TaskStatus.PENDING, stage: TaskStage.COLLECT }),
    ]);
    // A submission still under way (stored, its job not yet confirmed) is not the sweep's to judge.
    expect(await exists(inFlight)).toBe(true);
    expect(redispatched.map((task) => task.id)).not.toContain(inFlight);
  });

  it('starts an unqueued task in collect when its job runs before the gateway marked it queued', async () => {
    const id = await submitted(false, 0);
    await expect(tasks.start(id)).resolves.toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
    // Marking it queued afterwards changes nothing.
    await tasks.markQueued(id);
    await expect(tasks.state(id)).resolves.toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
  });
});
