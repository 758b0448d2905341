import type { Job, Queue } from 'bull';
import { CancelledError } from '@app/common';
import type { StageJob } from '@app/contracts';
import { JobName, ProviderError, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskRepository } from '@app/persistence';
import { CancellationRegistry } from './cancellation';
import type { TaskEventsPublisher } from './events.module';
import { StageWorkers } from './stage-worker';

type Processor = (job: Job<StageJob>) => Promise<void>;
type FailedListener = (job: Job<StageJob>, error: Error) => void;

/** Just enough of a Bull queue to capture what StageWorkers registers on it. */
function fakeQueue() {
  const registered: { name?: string; concurrency?: number; processor?: Processor; failed?: FailedListener } = {};
  const queue = {
    process: jest.fn((name: string, concurrency: number, processor: Processor) => {
      Object.assign(registered, { name, concurrency, processor });
      return Promise.resolve();
    }),
    on: jest.fn((event: string, listener: FailedListener) => {
      if (event === 'failed') registered.failed = listener;
    }),
    close: jest.fn().mockResolvedValue(undefined),
  };
  return { queue: queue as unknown as Queue<StageJob>, registered, close: queue.close };
}

function job(state: string, name = JobName.EVALUATE_CHUNK): Job<StageJob> {
  return {
    id: 't1:evaluate:0',
    name,
    data: { taskId: 't1' },
    queue: { name: 'evaluate' },
    attemptsMade: 4,
    getState: jest.fn().mockResolvedValue(state),
  } as unknown as Job<StageJob>;
}

function setup() {
  const cancellation = new CancellationRegistry();
  const tasks = {
    fail: jest.fn().mockResolvedValue(true),
    state: jest.fn().mockResolvedValue({ id: 't1', status: TaskStatus.FAILED, stage: TaskStage.EVALUATE }),
  };
  const events = { progress: jest.fn(), cancelled: jest.fn() };
  const workers = new StageWorkers(
    cancellation,
    tasks as unknown as TaskRepository,
    events as unknown as TaskEventsPublisher,
  );
  return { workers, cancellation, tasks, events };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(StageWorkers.name, () => {
  it('registers the handler under the job name with the configured concurrency', () => {
    const { workers } = setup();
    const { queue, registered } = fakeQueue();
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 7, timeoutMs: 60_000 }, jest.fn());
    expect(registered).toMatchObject({ name: JobName.EVALUATE_CHUNK, concurrency: 7 });
  });

  it('hands the job a signal that a cancel of its task aborts, and completes the job quietly', async () => {
    const { workers, cancellation } = setup();
    const { queue, registered } = fakeQueue();
    let seen: AbortSignal | undefined;
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, (_data, signal) => {
      seen = signal;
      return new Promise((_resolve, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason as unknown)),
      );
    });
    const running = registered.processor!(job('active'));
    expect(cancellation.cancel('t2')).toBe(0);
    expect(cancellation.cancel('t1')).toBe(1);
    await expect(running).resolves.toBeUndefined();
    expect(seen?.reason).toBeInstanceOf(CancelledError);
    expect(cancellation.tracked).toBe(0);
  });

  it('rethrows any other error so that Bull retries the job', async () => {
    const { workers, cancellation } = setup();
    const { queue, registered } = fakeQueue();
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, () =>
      Promise.reject(new Error('Postgres is down')),
    );
    await expect(registered.processor!(job('active'))).rejects.toThrow('Postgres is down');
    expect(cancellation.tracked).toBe(0);
  });

  it("fails the task at once, without a retry, when the provider refuses the service, and stops the task's other jobs", async () => {
    const { workers, cancellation, tasks, events } = setup();
    const { queue, registered } = fakeQueue();
    const refusal = new ProviderError('provider answered 401: Incorrect API key provided', {
      status: 401,
      retryable: false,
      fatal: true,
    });
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, () =>
      Promise.reject(refusal),
    );
    await expect(registered.processor!(job('active'))).resolves.toBeUndefined();
    expect(tasks.fail).toHaveBeenCalledWith('t1', 'provider answered 401: Incorrect API key provided');
    expect(events.cancelled).toHaveBeenCalledWith('t1');
    expect(events.progress).toHaveBeenCalledWith(
      expect.objectContaining({ status: TaskStatus.FAILED }),
      'provider answered 401: Incorrect API key provided',
    );
    expect(cancellation.tracked).toBe(0);
  });

  it('fails the task once Bull has given up on its job, and not while Bull will retry it', async () => {
    const { workers, tasks, events } = setup();
    const { queue, registered } = fakeQueue();
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, jest.fn());

    registered.failed!(job('delayed'), new Error('flaky'));
    await flush();
    expect(tasks.fail).not.toHaveBeenCalled();

    registered.failed!(job('failed'), new Error('relation "tasks" does not exist'));
    await flush();
    // The task's error is shown to clients: no driver message in it.
    expect(tasks.fail).toHaveBeenCalledWith(
      't1',
      expect.stringMatching(/gave up after 4 attempt\(s\): an internal error \(details in the service logs\)$/),
    );
    expect(events.progress).toHaveBeenCalledWith(
      expect.objectContaining({ status: TaskStatus.FAILED }),
      expect.any(String),
    );
  });

  it('aborts the work of a job past its time limit and fails the job, so that Bull retries it', async () => {
    const { workers } = setup();
    const { queue, registered } = fakeQueue();
    let seen: AbortSignal | undefined;
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 50 }, (_data, signal) => {
      seen = signal;
      // Work that only ends when its signal says so (an LLM call that never answers).
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    });
    await expect(registered.processor!(job('active'))).rejects.toMatchObject({
      name: 'TimeoutError',
      message: expect.stringMatching(/exceeded its time limit of 50 ms/),
    });
    expect(seen?.aborted).toBe(true);
  });

  it('still treats a cancel during the job as a stop, not a timeout', async () => {
    const { workers, cancellation } = setup();
    const { queue, registered } = fakeQueue();
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, (_data, signal) => {
      setImmediate(() => cancellation.cancel('t1'));
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));
    });
    await expect(registered.processor!(job('active'))).resolves.toBeUndefined();
  });

  it('ignores failures of jobs of other names on the same queue', async () => {
    const { workers, tasks } = setup();
    const { queue, registered } = fakeQueue();
    workers.process(queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, jest.fn());
    registered.failed!(job('failed', JobName.GENERATE_RESULT), new Error('x'));
    await flush();
    expect(tasks.fail).not.toHaveBeenCalled();
  });

  it('closes the queues it processes before the app shuts down, and only those', async () => {
    const { workers } = setup();
    const processed = fakeQueue();
    const other = fakeQueue();
    workers.process(processed.queue, JobName.EVALUATE_CHUNK, { concurrency: 1, timeoutMs: 60_000 }, jest.fn());
    await workers.beforeApplicationShutdown();
    expect(processed.close).toHaveBeenCalledTimes(1);
    expect(other.close).not.toHaveBeenCalled();
  });
});
