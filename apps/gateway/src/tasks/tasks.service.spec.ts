import { BadRequestException, ConflictException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { EXAMPLE_TASK, TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { StageDispatcher, TaskEventsPublisher } from '@app/pipeline';
import { TaskStopper } from '@app/pipeline';
import type { BatchStore, OutboxStore, TaskEntity, TaskRepository } from '@app/persistence';
import { SourceRules } from './source-rules';
import { TaskAdmission } from './task-admission';
import { TaskIntake } from './task-intake';
import type { TaskQueriesService } from './task-queries.service';
import { toTaskSpec } from './task-spec.mapper';
import { TasksService } from './tasks.service';

const DEFAULTS = { softSeconds: 3300, hardSeconds: 3600 };
const NO_USAGE = { prompt_tokens: 0, completion_tokens: 0, calls: 0, cache_hits: 0, dimensions: [] };

function setup(dispatch: () => Promise<void>, rules = new SourceRules({ mode: 'simulated', connections: new Set() })) {
  const tasks = {
    create: jest.fn().mockResolvedValue(undefined),
    remove: jest.fn().mockResolvedValue(undefined),
    markQueued: jest.fn().mockResolvedValue(undefined),
    cancel: jest.fn(),
    findById: jest.fn(),
    findWithUsage: jest.fn(),
    state: jest.fn(),
    failures: jest.fn().mockResolvedValue([]),
    countAllActive: jest.fn().mockResolvedValue(0),
  };
  const dispatcher = {
    dispatchAll: jest.fn(dispatch),
    discardQueued: jest.fn().mockResolvedValue(undefined),
    removeAll: jest.fn().mockResolvedValue([]),
  };
  const events = { cancelled: jest.fn(), progress: jest.fn() };
  const outbox = { forTask: jest.fn().mockResolvedValue([]) };
  const queries = { resultPage: jest.fn().mockResolvedValue(undefined) };
  const admission = new TaskAdmission(
    DEFAULTS,
    { maxRecordsPerTask: 100_000, maxScoresPerTask: 1_000_000, maxActiveTasks: 10 },
    rules,
    tasks as unknown as TaskRepository,
  );
  const intake = new TaskIntake(
    tasks as unknown as TaskRepository,
    {} as BatchStore,
    dispatcher as unknown as StageDispatcher,
    admission,
  );
  const service = new TasksService(
    tasks as unknown as TaskRepository,
    dispatcher as unknown as StageDispatcher,
    events as unknown as TaskEventsPublisher,
    outbox as unknown as OutboxStore,
    admission,
    intake,
    queries as unknown as TaskQueriesService,
    new TaskStopper(dispatcher as unknown as StageDispatcher, events as unknown as TaskEventsPublisher),
  );
  return { service, tasks, dispatcher, events, intake, outbox, queries };
}

const storedTask = (id: string, status: TaskStatus): TaskEntity => ({
  id,
  status,
  stage: TaskStage.EVALUATE,
  spec: toTaskSpec(EXAMPLE_TASK),
  owner: null,
  sourcesTotal: 2,
  sourcesCollected: 2,
  sourcesFailed: 0,
  recordsTotal: 50,
  recordsEvaluated: 10,
  recordsFailed: 0,
  recordsDropped: 0,
  dimensionsTotal: 2,
  dimensionsDone: 0,
  chunksTotal: 2,
  chunksDone: 0,
  labels: {},
  priority: TaskPriority.NORMAL,
  softLimitS: 3300,
  hardLimitS: 3600,
  softDeadlineAt: null,
  hardDeadlineAt: null,
  softLimitedAt: null,
  retryOf: null,
  batchId: null,
  batchIndex: null,
  error: null,
  createdAt: new Date(),
  updatedAt: new Date(),
  startedAt: new Date(),
  collectedAt: new Date(),
  evaluatedAt: null,
  finishedAt: null,
});

describe(TasksService.name, () => {
  it('refuses sources that cannot be fetched for real with a 400 naming the field, storing nothing', async () => {
    const { service, tasks, dispatcher } = setup(
      async () => undefined,
      new SourceRules({ mode: 'live', connections: new Set(['warehouse']) }),
    );
    const submission = service.submit(toTaskSpec(EXAMPLE_TASK), null);
    await expect(submission).rejects.toBeInstanceOf(BadRequestException);
    await expect(submission).rejects.toMatchObject({
      response: { fields: expect.arrayContaining([expect.objectContaining({ field: 'data_sources[0].connection' })]) },
    });
    expect(tasks.create).not.toHaveBeenCalled();
    expect(dispatcher.dispatchAll).not.toHaveBeenCalled();
  });

  it('stores the task, then queues its collect stage', async () => {
    const { service, tasks, dispatcher, intake } = setup(async () => undefined);
    const id = await service.submit(toTaskSpec(EXAMPLE_TASK), 'alice');
    await intake.beforeApplicationShutdown(); // the mark lingers to go with others
    expect(tasks.create).toHaveBeenCalledWith({ id, spec: toTaskSpec(EXAMPLE_TASK), limits: DEFAULTS, owner: 'alice' });
    expect(dispatcher.dispatchAll).toHaveBeenCalledWith([
      expect.objectContaining({ id, status: TaskStatus.PENDING, stage: TaskStage.COLLECT }),
    ]);
    expect(tasks.remove).not.toHaveBeenCalled();
    expect(tasks.markQueued).toHaveBeenCalledWith(id);
    expect(tasks.create.mock.invocationCallOrder[0]).toBeLessThan(dispatcher.dispatchAll.mock.invocationCallOrder[0]);
    expect(dispatcher.dispatchAll.mock.invocationCallOrder[0]).toBeLessThan(
      tasks.markQueued.mock.invocationCallOrder[0],
    );
  });

  it('still answers 503, and marks nothing queued, when removing the unqueued task fails too', async () => {
    const { service, tasks } = setup(async () => {
      throw new Error('Redis is down');
    });
    tasks.remove.mockRejectedValue(new Error('Connection terminated'));
    await expect(service.submit(toTaskSpec(EXAMPLE_TASK), null)).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(tasks.remove).toHaveBeenCalledTimes(1);
    expect(tasks.markQueued).not.toHaveBeenCalled();
  });

  it('accepts a queued task even when marking it queued fails (its job starts it all the same)', async () => {
    const { service, tasks } = setup(async () => undefined);
    tasks.markQueued.mockRejectedValue(new Error('Connection terminated'));
    await expect(service.submit(toTaskSpec(EXAMPLE_TASK), null)).resolves.toEqual(expect.any(String));
  });

  it('removes the stored task again and answers 503 when it cannot be queued', async () => {
    const { service, tasks } = setup(async () => {
      throw new Error('Redis is down');
    });
    await expect(service.submit(toTaskSpec(EXAMPLE_TASK), 'alice')).rejects.toBeInstanceOf(ServiceUnavailableException);
    const [[{ id }]] = tasks.create.mock.calls;
    expect(tasks.remove).toHaveBeenCalledWith(id);
  });

  it('gives up waiting for a queue that does not answer, and stores nothing', async () => {
    jest.useFakeTimers();
    try {
      const { service, tasks } = setup(() => new Promise(() => undefined));
      const submission = expect(service.submit(toTaskSpec(EXAMPLE_TASK), 'alice')).rejects.toBeInstanceOf(
        ServiceUnavailableException,
      );
      await jest.advanceTimersByTimeAsync(5_000);
      await submission;
      expect(tasks.remove).toHaveBeenCalledTimes(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('reads a running task with its usage in one go: it cannot have a result or deliveries, and its counters count no failure', async () => {
    const { service, tasks, outbox, queries } = setup(() => Promise.resolve());
    const usage = { prompt_tokens: 10, completion_tokens: 2, calls: 1, cache_hits: 0, dimensions: [] };
    tasks.findWithUsage.mockResolvedValue({ task: storedTask('t1', TaskStatus.RUNNING), usage });
    const view = await service.view('t1');
    expect(view).toMatchObject({ id: 't1', errors: [], usage });
    expect(view).not.toHaveProperty('result');
    expect(tasks.failures).not.toHaveBeenCalled();
    expect(queries.resultPage).not.toHaveBeenCalled();
    expect(outbox.forTask).not.toHaveBeenCalled();
  });

  it("reads an ended task's failures, result and deliveries when its counters count a failure", async () => {
    const { service, tasks, outbox, queries } = setup(() => Promise.resolve());
    tasks.findWithUsage.mockResolvedValue({
      task: { ...storedTask('t1', TaskStatus.COMPLETED_WITH_ERRORS), recordsFailed: 1 },
      usage: NO_USAGE,
    });
    await service.view('t1');
    expect(tasks.failures).toHaveBeenCalledWith('t1', 100);
    expect(queries.resultPage).toHaveBeenCalledWith('t1');
    expect(outbox.forTask).toHaveBeenCalledWith('t1');
  });

  it('cancels an active task: broadcast, queue clean-up, and the cancelled task returned', async () => {
    const { service, tasks, dispatcher, events } = setup(async () => undefined);
    tasks.cancel.mockResolvedValue({ kind: 'cancelled' });
    tasks.findWithUsage.mockResolvedValue({ task: storedTask('t1', TaskStatus.CANCELLED), usage: NO_USAGE });
    const view = await service.cancel('t1');
    expect(view.status).toBe(TaskStatus.CANCELLED);
    expect(events.cancelled).toHaveBeenCalledWith('t1');
    expect(dispatcher.discardQueued).toHaveBeenCalledWith('t1', 2);
  });

  it('answers 409 with the status for a task that has ended, 404 for an unknown one, and broadcasts nothing', async () => {
    const { service, tasks, events } = setup(async () => undefined);
    tasks.cancel.mockResolvedValueOnce({ kind: 'already-ended', status: TaskStatus.COMPLETED });
    const conflict = await service.cancel('t1').catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictException);
    expect((conflict as ConflictException).getResponse()).toMatchObject({ status: TaskStatus.COMPLETED });

    tasks.cancel.mockResolvedValueOnce({ kind: 'not-found' });
    await expect(service.cancel('t2')).rejects.toBeInstanceOf(NotFoundException);
    expect(events.cancelled).not.toHaveBeenCalled();
  });

  it('retries an ended task as a new task with the same spec, linked by retry_of', async () => {
    const { service, tasks } = setup(async () => undefined);
    tasks.findById.mockResolvedValue(storedTask('t1', TaskStatus.FAILED));
    const id = await service.retry('t1', 'bob');
    expect(id).not.toBe('t1');
    expect(tasks.create).toHaveBeenCalledWith({
      id,
      spec: toTaskSpec(EXAMPLE_TASK),
      retryOf: 't1',
      limits: DEFAULTS,
      owner: 'bob',
    });
  });

  it('refuses to retry an active task (409 with its status) and an unknown one (404)', async () => {
    const { service, tasks } = setup(async () => undefined);
    tasks.findById.mockResolvedValueOnce(storedTask('t1', TaskStatus.RUNNING));
    const conflict = await service.retry('t1', null).catch((error: unknown) => error);
    expect((conflict as ConflictException).getResponse()).toMatchObject({ status: TaskStatus.RUNNING });
    tasks.findById.mockResolvedValueOnce(null);
    await expect(service.retry('t2', null)).rejects.toBeInstanceOf(NotFoundException);
    expect(tasks.create).not.toHaveBeenCalled();
  });

  it('purges an active task: cancel and broadcast, then its jobs, then its rows', async () => {
    const { service, tasks, dispatcher, events } = setup(async () => undefined);
    tasks.cancel.mockResolvedValue({ kind: 'cancelled' });
    tasks.state.mockResolvedValue({ id: 't1', status: TaskStatus.CANCELLED, chunksTotal: 3 });
    await service.purge('t1');
    expect(events.cancelled).toHaveBeenCalledWith('t1');
    expect(dispatcher.removeAll).toHaveBeenCalledWith('t1', 3, expect.any(Number));
    expect(tasks.remove).toHaveBeenCalledWith('t1');
    expect(dispatcher.removeAll.mock.invocationCallOrder[0]).toBeLessThan(tasks.remove.mock.invocationCallOrder[0]);
  });

  it('purges an ended task without a broadcast; 404 for an unknown one', async () => {
    const { service, tasks, events } = setup(async () => undefined);
    tasks.cancel.mockResolvedValueOnce({ kind: 'already-ended', status: TaskStatus.COMPLETED });
    tasks.state.mockResolvedValue({ id: 't1', status: TaskStatus.COMPLETED, chunksTotal: 1 });
    await service.purge('t1');
    expect(events.cancelled).not.toHaveBeenCalled();
    expect(tasks.remove).toHaveBeenCalledWith('t1');

    tasks.cancel.mockResolvedValueOnce({ kind: 'not-found' });
    await expect(service.purge('t2')).rejects.toBeInstanceOf(NotFoundException);
  });

  it('keeps the rows and answers 503 when a job is still held by a worker, so the purge can be repeated', async () => {
    const { service, tasks, dispatcher } = setup(async () => undefined);
    tasks.cancel.mockResolvedValue({ kind: 'cancelled' });
    tasks.state.mockResolvedValue({ id: 't1', status: TaskStatus.CANCELLED, chunksTotal: 1 });
    dispatcher.removeAll.mockResolvedValue(['t1:evaluate:0']);
    await expect(service.purge('t1')).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(tasks.remove).not.toHaveBeenCalled();
  });
});
