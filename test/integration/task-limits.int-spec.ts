import { randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import type { TaskSpec } from '@app/contracts';
import { DataSourceType, TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import { CollectionStore, GenerationStore, TaskRepository } from '@app/persistence';
import { deleteTasks, openTestDataSource } from '../support/database';

// Priorities and time limits as the task row keeps them, against the real test database.
describe('task priority and time limits (Postgres)', () => {
  let db: DataSource;
  let tasks: TaskRepository;
  const created: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    tasks = new TaskRepository(db);
  });

  afterAll(async () => {
    if (!db) return;
    await deleteTasks(db, created);
    await db.destroy();
  });

  const SPEC: TaskSpec = {
    sources: [{ id: 's1', type: DataSourceType.API, url: 'u' }],
    llm: { model: 'm' },
    dimensions: [{ id: 'dim1', name: 'quality', threshold: 0.5 }],
  };

  async function startedTask(softSeconds: number, hardSeconds: number, priority?: TaskPriority): Promise<string> {
    const id = randomUUID();
    created.push(id);
    await tasks.create({ id, spec: { ...SPEC, priority }, limits: { softSeconds, hardSeconds } });
    await tasks.start(id);
    return id;
  }

  const row = async (id: string) =>
    (
      await db.query(
        `SELECT status, error, priority, soft_limited_at, extract(epoch FROM soft_deadline_at - started_at) AS soft,
                extract(epoch FROM hard_deadline_at - started_at) AS hard
         FROM tasks WHERE id = $1`,
        [id],
      )
    )[0];

  it('keeps the priority and sets both deadlines from the start of the task', async () => {
    const id = await startedTask(30, 60, TaskPriority.HIGH);
    expect(await row(id)).toMatchObject({ priority: 'high', soft: '30.000000', hard: '60.000000' });
    expect((await tasks.state(id))?.priority).toBe(TaskPriority.HIGH);
    const other = await startedTask(30, 60);
    expect((await tasks.state(other))?.priority).toBe(TaskPriority.NORMAL);
  });

  it('marks a task past its soft deadline once, and fails one past its hard deadline once', async () => {
    const soft = await startedTask(1, 600);
    const hard = await startedTask(1, 2);
    const untouched = await startedTask(600, 600);
    await db.query(`UPDATE tasks SET soft_deadline_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [
      [soft, hard],
    ]);
    await db.query(`UPDATE tasks SET hard_deadline_at = now() - interval '1 second' WHERE id = $1`, [hard]);

    const failed = await tasks.failPastHardDeadline(100);
    expect(failed.map((task) => task.id).filter((id) => created.includes(id))).toEqual([hard]);
    expect(failed.find((task) => task.id === hard)).toMatchObject({
      status: TaskStatus.FAILED,
      error: 'time limit exceeded: the task ran past its hard limit of 2 s',
    });
    // The failed one has ended: only the other is marked past its soft limit.
    const marked = await tasks.markPastSoftDeadline(100);
    expect(marked.map((task) => task.id).filter((id) => created.includes(id))).toEqual([soft]);
    expect(await row(soft)).toMatchObject({
      status: 'running',
      error: expect.stringMatching(/^soft time limit of 1 s/),
    });
    // No source of it is opened for fetching any more; the other's are.
    const collection = new CollectionStore(db);
    expect(await collection.openSource(soft, 's1')).toBe(false);
    expect(await collection.openSource(untouched, 's1')).toBe(true);
    expect(await collection.openSource(randomUUID(), 's1')).toBe(false);

    expect((await tasks.failPastHardDeadline(100)).map((task) => task.id)).not.toContain(hard);
    expect((await tasks.markPastSoftDeadline(100)).map((task) => task.id)).not.toContain(soft);
    expect(await row(untouched)).toMatchObject({ status: 'running', error: null, soft_limited_at: null });
  });

  it('ends a task that reached its soft limit completed_with_errors, even with nothing else failed', async () => {
    const id = await startedTask(1, 600);
    await db.query(
      `UPDATE tasks SET stage = $2, soft_limited_at = now(), records_total = 1, records_evaluated = 1 WHERE id = $1`,
      [id, TaskStage.GENERATE],
    );
    const status = await new GenerationStore(db).complete(id, {
      dimensions: [],
      passed_all_dimensions: 0,
      records_evaluated: 1,
      records_failed: 0,
      records_dropped: 0,
      sources_failed: 0,
      generated_at: new Date().toISOString(),
    });
    expect(status).toBe(TaskStatus.COMPLETED_WITH_ERRORS);
  });

  it('refuses a soft limit above the hard one in the table itself', async () => {
    await expect(
      tasks.create({ id: randomUUID(), spec: SPEC, limits: { softSeconds: 10, hardSeconds: 5 } }),
    ).rejects.toThrow(/tasks_limits_check/);
  });
});
