import type { DataSource } from 'typeorm';
import { EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { TestSystem } from './support/test-system';

/**
 * The gateway alone (no worker takes the tasks, so they stay active): a task too big for one client
 * gets a 400 naming why, and once the service holds its most active tasks the next gets 429; neither
 * stores anything.
 */
describe('admission: task size and active tasks', () => {
  const EXTRA = 2;
  let system: TestSystem;
  let db: DataSource;

  const countTasks = async (): Promise<number> => (await db.query('SELECT count(*)::int AS count FROM tasks'))[0].count;

  beforeAll(async () => {
    db = await openTestDataSource();
    // A test system starts with nothing active on the shared database (it ends what earlier specs left).
    system = await TestSystem.start({
      replicas: { collector: 0, evaluator: 0, 'result-generator': 0 },
      env: {
        MAX_ACTIVE_TASKS: String(EXTRA),
        MAX_RECORDS_PER_TASK: '1000',
        MAX_SCORES_PER_TASK: '1500',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.destroy();
  }, 30_000);

  const sized = (records: number[], dimensions = 1) => ({
    ...EXAMPLE_TASK,
    data_sources: records.map((count, index) => ({
      id: `s${index}`,
      type: 'api',
      url: 'u',
      simulation: { records: count },
    })),
    dimensions: EXAMPLE_TASK.dimensions
      .concat(
        Array.from({ length: Math.max(0, dimensions - EXAMPLE_TASK.dimensions.length) }, (_, index) => ({
          id: `extra${index}`,
          name: 'extra',
          threshold: 0.5,
        })),
      )
      .slice(0, dimensions),
  });

  it('refuses a task with too many records, or records × dimensions, with 400 naming the field', async () => {
    const before = await countTasks();
    const records = await system.request('POST', '/api/v1/tasks', sized([600, 401]));
    expect(records.status).toBe(400);
    expect(records.body.fields).toEqual([{ field: 'data_sources', reasons: [expect.stringMatching(/1001 records/)] }]);
    const scores = await system.request('POST', '/api/v1/tasks', sized([800], 2));
    expect(scores.status).toBe(400);
    expect(scores.body.fields).toEqual([{ field: 'dimensions', reasons: [expect.stringMatching(/1600 scores/)] }]);
    expect(await countTasks()).toBe(before);
  }, 30_000);

  it('answers 429 once the service holds its most active tasks, and takes tasks again when one ends', async () => {
    const accepted: string[] = [];
    for (let index = 0; index < EXTRA; index += 1) accepted.push(await system.submit(EXAMPLE_TASK));
    const before = await countTasks();
    const refused = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK);
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/try again later/);
    expect(await countTasks()).toBe(before);

    expect((await system.request('DELETE', `/api/v1/tasks/${accepted[0]}`)).status).toBe(200);
    expect((await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK)).status).toBe(202);
  }, 30_000);
});
