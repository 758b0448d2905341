import Queue from 'bull';
import { randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import type { EvaluateChunkJob } from '@app/contracts';
import {
  DataSourceType,
  jobIds,
  JobName,
  QueueName,
  RecordEvaluationStatus,
  TaskPriority,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import { StageDispatcher } from '@app/pipeline';
import { redisConnection } from '@app/redis';
import type { TaskState } from '@app/persistence';
import { CollectionStore, EvaluationStore, TaskRepository } from '@app/persistence';
import { deleteTasks, openTestDataSource } from '../support/database';
import { storeSource } from '../support/collect';
import { recordsToEvaluate } from '../support/evaluate';

// The dispatcher against real Bull queues (a prefix of its own, so no running app sees the jobs) and the
// real test database (the evaluate stage asks Postgres which chunks are still to do).
describe(`${StageDispatcher.name} (Redis + Postgres)`, () => {
  const prefix = `test-dispatcher-${process.pid}-${Date.now()}`;
  const redis = redisConnection(appOptions(loadConfig(BaseConfig)).redis);
  let collectQueue: Queue.Queue;
  let evaluateQueue: Queue.Queue;
  let generateQueue: Queue.Queue;
  let db: DataSource;
  let tasks: TaskRepository;
  let collection: CollectionStore;
  let evaluations: EvaluationStore;
  let dispatcher: StageDispatcher;
  const created: string[] = [];

  beforeAll(async () => {
    [collectQueue, evaluateQueue, generateQueue] = [QueueName.COLLECT, QueueName.EVALUATE, QueueName.GENERATE].map(
      (name) => new Queue(name, { redis, prefix }),
    );
    await Promise.all([collectQueue, evaluateQueue, generateQueue].map((queue) => queue.isReady()));
    db = await openTestDataSource();
    tasks = new TaskRepository(db);
    collection = new CollectionStore(db);
    evaluations = new EvaluationStore(db);
    dispatcher = new StageDispatcher(collectQueue, evaluateQueue, generateQueue, evaluations, 100);
  });

  afterAll(async () => {
    for (const queue of [collectQueue, evaluateQueue, generateQueue]) {
      if (!queue) continue;
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    }
    if (db) {
      await deleteTasks(db, created);
      await db.destroy();
    }
  });

  const state = (overrides: Partial<TaskState> = {}): TaskState => ({
    id: randomUUID(),
    status: TaskStatus.RUNNING,
    stage: TaskStage.COLLECT,
    chunksTotal: null,
    chunksDone: 0,
    priority: TaskPriority.NORMAL,
    recordsTotal: 0,
    ...overrides,
  });

  /** Every job of the queue, in any state (none is processed: no worker listens on this prefix). */
  const jobsOf = async (queue: Queue.Queue, taskId: string) =>
    (await queue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'paused'])).filter(
      (job) => job.data.taskId === taskId,
    );

  /** A running task in evaluate, stored for real: `records` records cut into chunks of `chunkSize`. */
  async function evaluatingTask(records: number, chunkSize: number): Promise<TaskState> {
    const id = randomUUID();
    created.push(id);
    await tasks.create({
      id,
      spec: {
        sources: [{ id: 's1', type: DataSourceType.API, url: 'https://example.test/s1' }],
        llm: { model: 'test-model' },
        dimensions: [{ id: 'dim1', name: 'quality', threshold: 0.5 }],
      },
      limits: { softSeconds: 3300, hardSeconds: 3600 },
    });
    await tasks.start(id);
    await storeSource(
      collection,
      { taskId: id, sourceId: 's1', attempts: 1, durationMs: 1 },
      Array.from({ length: records }, (_, i) => ({
        id: `r${i}`,
        content: `record ${i}`,
        fields: {},
        status: RecordEvaluationStatus.PENDING,
        error: null,
        dedupeKey: null,
      })),
    );
    const moved = await collection.finishCollection(id, chunkSize);
    expect(moved).toMatchObject({ stage: TaskStage.EVALUATE });
    return moved!;
  }

  it('puts a collect or generate stage on its queue once, however often it is dispatched', async () => {
    const collecting = state({ status: TaskStatus.PENDING, stage: TaskStage.COLLECT });
    const generating = state({ stage: TaskStage.GENERATE, chunksTotal: 3, chunksDone: 3 });
    const before = await Promise.all([collectQueue.getJobCounts(), generateQueue.getJobCounts()]);

    await Promise.all([dispatcher.dispatch(collecting), dispatcher.dispatch(generating)]);
    await Promise.all([
      dispatcher.dispatch(collecting),
      dispatcher.dispatch(collecting),
      dispatcher.dispatch(generating),
    ]);

    const collectJob = await collectQueue.getJob(jobIds.collect(collecting.id));
    expect(collectJob).toMatchObject({ name: JobName.COLLECT_TASK, data: { taskId: collecting.id } });
    expect(await collectJob!.isWaiting()).toBe(true);
    const generateJob = await generateQueue.getJob(jobIds.generate(generating.id));
    expect(generateJob).toMatchObject({ name: JobName.GENERATE_RESULT, data: { taskId: generating.id } });

    expect(await jobsOf(collectQueue, collecting.id)).toHaveLength(1);
    expect(await jobsOf(generateQueue, generating.id)).toHaveLength(1);
    const after = await Promise.all([collectQueue.getJobCounts(), generateQueue.getJobCounts()]);
    expect(after[0].waiting - before[0].waiting).toBe(1);
    expect(after[1].waiting - before[1].waiting).toBe(1);
    // Nothing crossed over to another stage's queue.
    expect(await jobsOf(evaluateQueue, collecting.id)).toHaveLength(0);
    expect(await jobsOf(generateQueue, collecting.id)).toHaveLength(0);
  });

  it("gives every job the task's priority, so a high-priority task's jobs are taken first", async () => {
    const low = state({ stage: TaskStage.GENERATE, priority: TaskPriority.LOW });
    const high = state({ stage: TaskStage.GENERATE, priority: TaskPriority.HIGH });
    await dispatcher.dispatch(low);
    await dispatcher.dispatch(high);
    expect((await generateQueue.getJob(jobIds.generate(low.id)))?.opts.priority).toBe(3);
    expect((await generateQueue.getJob(jobIds.generate(high.id)))?.opts.priority).toBe(1);
    // The job a worker would take next (no worker listens on this prefix, so this one takes it).
    const next = await generateQueue.getNextJob();
    expect(next?.id).toBe(jobIds.generate(high.id));
  });

  it('puts only the unfinished chunks of the evaluate stage on the queue, once each', async () => {
    const task = await evaluatingTask(14, 2);
    expect(task.chunksTotal).toBe(7);
    for (const chunk of [0, 3, 6]) {
      const records = await recordsToEvaluate(evaluations, task.id, chunk);
      await evaluations.saveChunk(
        task.id,
        chunk,
        records.map(({ sourceId, recordId }) => ({ sourceId, recordId, scores: { dim1: 1 }, analyses: {} })),
        {},
      );
    }
    const current = (await tasks.state(task.id))!;
    expect(current).toMatchObject({ stage: TaskStage.EVALUATE, chunksDone: 3 });

    await dispatcher.dispatch(current);
    await Promise.all([dispatcher.dispatch(current), dispatcher.dispatch(current)]);

    const jobs = await jobsOf(evaluateQueue, task.id);
    expect(jobs.map((job) => job.data.chunk).sort()).toEqual([1, 2, 4, 5]);
    expect(jobs.map((job) => String(job.id)).sort()).toEqual(
      [1, 2, 4, 5].map((chunk) => jobIds.evaluate(task.id, chunk)),
    );
    expect(jobs.every((job) => job.name === (JobName.EVALUATE_CHUNK as string))).toBe(true);
    expect(await evaluateQueue.getJob(jobIds.evaluate(task.id, 0))).toBeNull();
    expect(await jobsOf(collectQueue, task.id)).toHaveLength(0);
    expect(await jobsOf(generateQueue, task.id)).toHaveLength(0);
  });

  it('queues a window of the lowest unfinished chunks, and the next one as each finishes', async () => {
    const windowed = new StageDispatcher(collectQueue, evaluateQueue, generateQueue, evaluations, 3);
    const task = await evaluatingTask(20, 2);
    expect(task.chunksTotal).toBe(10);
    const queuedChunks = async () => (await jobsOf(evaluateQueue, task.id)).map((job) => job.data.chunk).sort();

    await windowed.dispatch(task);
    expect(await queuedChunks()).toEqual([0, 1, 2]);

    // Chunk 1 finishes first (its job has run: it is no longer waiting), then chunk 0.
    for (const chunk of [1, 0]) {
      const records = await recordsToEvaluate(evaluations, task.id, chunk);
      const after = await evaluations.saveChunk(
        task.id,
        chunk,
        records.map(({ sourceId, recordId }) => ({ sourceId, recordId, scores: { dim1: 1 }, analyses: {} })),
        {},
      );
      const finished = (await evaluateQueue.getJob(jobIds.evaluate(task.id, chunk)))!;
      await finished.remove();
      await windowed.dispatch(after!, finished.data);
    }
    // Three unfinished chunks queued at any time: 2 was queued already, 3 and 4 followed.
    expect(await queuedChunks()).toEqual([2, 3, 4]);
    // Each job says which chunks were stored when it was queued: all below the lowest unfinished then.
    const jobs = await jobsOf(evaluateQueue, task.id);
    expect(Object.fromEntries(jobs.map((job) => [job.data.chunk, job.data.storedBelow]))).toEqual({ 2: 0, 3: 0, 4: 2 });
  });

  it("searches for the next chunks from where the finished job's own search found every chunk below stored (ADR 32)", async () => {
    const windowed = new StageDispatcher(collectQueue, evaluateQueue, generateQueue, evaluations, 2);
    const task = await evaluatingTask(12, 2);
    const searched = jest.spyOn(evaluations, 'unfinishedChunks');
    try {
      let state: TaskState = task;
      for (const chunk of [0, 1, 2]) {
        const records = await recordsToEvaluate(evaluations, task.id, chunk);
        state = (await evaluations.saveChunk(
          task.id,
          chunk,
          records.map(({ sourceId, recordId }) => ({ sourceId, recordId, scores: { dim1: 1 }, analyses: {} })),
          {},
        ))!;
      }
      await windowed.dispatch(state, { taskId: task.id, chunk: 2, storedBelow: 2 } as EvaluateChunkJob);
      expect(searched).toHaveBeenLastCalledWith(task.id, { chunksTotal: 6, chunksDone: 3 }, 2, 2);
      expect((await jobsOf(evaluateQueue, task.id)).map((job) => [job.data.chunk, job.data.storedBelow])).toEqual(
        expect.arrayContaining([
          [3, 3],
          [4, 3],
        ]),
      );
      // Another task's job, or one queued before jobs said it, tells nothing: the search starts at 0.
      await windowed.dispatch(state, { taskId: 'another', chunk: 2, storedBelow: 2 } as EvaluateChunkJob);
      expect(searched).toHaveBeenLastCalledWith(task.id, { chunksTotal: 6, chunksDone: 3 }, 2, 0);
      await windowed.dispatch(state, { taskId: task.id, chunk: 2 } as EvaluateChunkJob);
      expect(searched).toHaveBeenLastCalledWith(task.id, { chunksTotal: 6, chunksDone: 3 }, 2, 0);
    } finally {
      searched.mockRestore();
    }
  });

  it('queues nothing for a stale evaluate state whose chunks are all done', async () => {
    const task = await evaluatingTask(4, 2);
    let afterFirst: TaskState | undefined;
    for (const chunk of [0, 1]) {
      const records = await recordsToEvaluate(evaluations, task.id, chunk);
      const after = await evaluations.saveChunk(
        task.id,
        chunk,
        records.map(({ sourceId, recordId }) => ({ sourceId, recordId, scores: { dim1: 1 }, analyses: {} })),
        {},
      );
      afterFirst ??= after;
    }
    expect(afterFirst).toMatchObject({ stage: TaskStage.EVALUATE, chunksDone: 1 });
    expect(await tasks.state(task.id)).toMatchObject({ stage: TaskStage.GENERATE });

    await dispatcher.dispatch(afterFirst!); // the state read before the fan-in moved the task
    expect(await jobsOf(evaluateQueue, task.id)).toHaveLength(0);
  });

  it('queues the first window without asking Postgres while the state counts no chunk stored', async () => {
    const windowed = new StageDispatcher(collectQueue, evaluateQueue, generateQueue, evaluations, 3);
    const asked = jest.spyOn(evaluations, 'unfinishedChunks');
    try {
      const task = await evaluatingTask(20, 2);
      await windowed.dispatch(task);
      expect((await jobsOf(evaluateQueue, task.id)).map((job) => job.data.chunk).sort()).toEqual([0, 1, 2]);
      const small = await evaluatingTask(2, 2);
      await windowed.dispatch(small);
      expect((await jobsOf(evaluateQueue, small.id)).map((job) => job.data.chunk)).toEqual([0]);
      expect(asked).not.toHaveBeenCalled();
    } finally {
      asked.mockRestore();
    }
  });

  it('discardQueued removes the waiting and delayed jobs of a task, and leaves other tasks alone', async () => {
    const task = await evaluatingTask(6, 2);
    const other = state({ stage: TaskStage.COLLECT });
    await dispatcher.dispatch(task);
    await dispatcher.dispatch(state({ id: task.id, stage: TaskStage.COLLECT }));
    await dispatcher.dispatch(other);
    // A retried job waits as delayed; it is dropped too.
    await generateQueue.add(
      JobName.GENERATE_RESULT,
      { taskId: task.id },
      { jobId: jobIds.generate(task.id), delay: 60_000 },
    );
    expect(await jobsOf(evaluateQueue, task.id)).toHaveLength(3);
    expect(await (await generateQueue.getJob(jobIds.generate(task.id)))!.isDelayed()).toBe(true);

    await dispatcher.discardQueued(task.id, task.chunksTotal);

    expect(await jobsOf(evaluateQueue, task.id)).toHaveLength(0);
    expect(await jobsOf(collectQueue, task.id)).toHaveLength(0);
    expect(await jobsOf(generateQueue, task.id)).toHaveLength(0);
    expect(await collectQueue.getJob(jobIds.collect(other.id))).not.toBeNull();
    // Nothing queued (or no chunks) is fine too.
    await expect(dispatcher.discardQueued(randomUUID(), null)).resolves.toBeUndefined();
  });

  it('dispatches nothing for a task that has ended, whatever its stage', async () => {
    const ended = [TaskStatus.COMPLETED, TaskStatus.COMPLETED_WITH_ERRORS, TaskStatus.FAILED, TaskStatus.CANCELLED];
    const stages = [TaskStage.COLLECT, TaskStage.EVALUATE, TaskStage.GENERATE];
    const states = ended.flatMap((status) => stages.map((stage) => state({ status, stage, chunksTotal: 4 })));
    const before = await Promise.all([collectQueue, evaluateQueue, generateQueue].map((queue) => queue.getJobCounts()));

    await Promise.all(states.map((s) => dispatcher.dispatch(s)));
    // A running task without a stage has nothing to dispatch either.
    await dispatcher.dispatch(state({ stage: null }));

    const after = await Promise.all([collectQueue, evaluateQueue, generateQueue].map((queue) => queue.getJobCounts()));
    expect(after).toEqual(before);
    for (const s of states) {
      expect(await collectQueue.getJob(jobIds.collect(s.id))).toBeNull();
      expect(await evaluateQueue.getJob(jobIds.evaluate(s.id, 0))).toBeNull();
      expect(await generateQueue.getJob(jobIds.generate(s.id))).toBeNull();
    }
  });

  it('redispatch() queues anew the work of a job Bull gave up on, where dispatch() cannot', async () => {
    const task = state({ stage: TaskStage.GENERATE });
    await generateQueue.empty();
    await dispatcher.dispatch(task);
    // As Bull leaves a job it gave up on: taken, failed, and kept under its id.
    const job = (await generateQueue.getNextJob()) as Queue.Job;
    expect(job.id).toBe(jobIds.generate(task.id));
    await job.moveToFailed({ message: 'gave up' }, true);
    await job.releaseLock();
    expect(await job.isFailed()).toBe(true);

    await dispatcher.dispatch(task);
    expect(await Promise.all((await jobsOf(generateQueue, task.id)).map((entry) => entry.getState()))).toEqual([
      'failed',
    ]);

    await dispatcher.redispatch(task);
    const [again] = await jobsOf(generateQueue, task.id);
    expect(again.id).toBe(jobIds.generate(task.id));
    expect(await again.getState()).toBe('waiting');
    expect(await jobsOf(generateQueue, task.id)).toHaveLength(1);
  });
});
