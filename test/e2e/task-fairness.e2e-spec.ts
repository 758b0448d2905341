import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, EXAMPLE_TASK } from '@app/contracts';
import { TestSystem } from './support/test-system';

const CHUNK_SIZE = 5;
const BIG_RECORDS = 2_000;
const WINDOW = 2;

function taskOf(records: number, sourceId: string): CreateTaskDto {
  return {
    ...EXAMPLE_TASK,
    data_sources: [
      { id: sourceId, type: DataSourceType.API, url: '...', simulation: { records, failure_rate: 0, latency_ms: 10 } },
    ],
  };
}

const handled = (task: any): number => task.progress.records_evaluated + task.progress.records_failed;

/**
 * One evaluator with two slots, a task of 400 chunks evaluating, then a task of one chunk: the small
 * task waits for at most the big task's window of queued chunks, so it ends while the big one is
 * still early in its evaluation. Behind a FIFO queue of all 400 chunks it would end only after the
 * big task had taken (nearly) every chunk.
 */
describe('fairness between tasks: a small task behind a big one', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await TestSystem.start({
      env: {
        EVALUATE_CHUNK_SIZE: String(CHUNK_SIZE),
        QUEUE_CHUNK_WINDOW: String(WINDOW),
        WORKER_CONCURRENCY: '2',
        SIM_LLM_FAILURE_RATE: '0',
        // The rate limit is not what this test is about: the evaluators' slots are the bottleneck.
        LLM_RATE_LIMIT_RPM: '600000',
        SIM_LLM_RPM: '1000000',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 60_000);

  it('finishes a one-chunk task while a 400-chunk task submitted before it is still evaluating', async () => {
    const big = await system.submit(taskOf(BIG_RECORDS, 'big'));
    await system.waitForTask(big, (task) => task.stage === 'evaluate' && handled(task) > 0, 60_000);

    const submittedAt = Date.now();
    const small = await system.submit(taskOf(CHUNK_SIZE, 'small'));
    const smallEnded = await system.waitForEnd(small, 120_000);
    const smallMs = Date.now() - submittedAt;
    const bigThen = await system.task(big);

    expect(smallEnded.status).toBe('completed');
    expect(bigThen).toMatchObject({ status: 'running', stage: 'evaluate' });
    expect(bigThen.progress.records_total).toBe(BIG_RECORDS);
    // Behind every chunk of the big task, at least all but its last two in hand would be done.
    expect(handled(bigThen)).toBeLessThan(BIG_RECORDS / 2);
    console.log(
      `small task: ended ${smallMs} ms after submission, while the big task had ${handled(bigThen)}/${BIG_RECORDS} records evaluated`,
    );

    expect((await system.request('DELETE', `/api/v1/tasks/${big}`)).status).toBe(200);
  }, 180_000);
});
