import type { HttpException } from '@nestjs/common';
import { BadRequestException, PayloadTooLargeException, ServiceUnavailableException } from '@nestjs/common';
import type { CreateBatchDto } from '@app/contracts';
import { EXAMPLE_TASK, TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { BatchStore, OutboxStore, TaskRepository } from '@app/persistence';
import type { StageDispatcher } from '@app/pipeline';
import type { TaskQueriesService } from '../tasks/task-queries.service';
import { SourceRules } from '../tasks/source-rules';
import { TaskAdmission } from '../tasks/task-admission';
import { TaskIntake } from '../tasks/task-intake';
import { BatchesService } from './batches.service';

function setup(maxTasks = 3, { active = 0, maxActiveTasks = 10_000 } = {}) {
  const tasks = { countAllActive: jest.fn(async () => active), markQueued: jest.fn(async () => undefined) };
  const batches = {
    create: jest.fn(async () => undefined),
    remove: jest.fn(async () => undefined),
  };
  const dispatcher = { dispatchAll: jest.fn(async () => undefined) };
  const admission = new TaskAdmission(
    { softSeconds: 3300, hardSeconds: 3600 },
    { maxRecordsPerTask: 1_000, maxScoresPerTask: 10_000, maxActiveTasks },
    new SourceRules({ mode: 'simulated', connections: new Set() }),
    tasks as unknown as TaskRepository,
  );
  const intake = new TaskIntake(
    tasks as unknown as TaskRepository,
    batches as unknown as BatchStore,
    dispatcher as unknown as StageDispatcher,
    admission,
  );
  const service = new BatchesService(
    { maxTasks },
    batches as unknown as BatchStore,
    {} as OutboxStore,
    admission,
    intake,
    {} as TaskQueriesService,
  );
  return { service, tasks, batches, dispatcher, intake };
}

const batchOf = (...tasks: CreateBatchDto['tasks']): CreateBatchDto => ({ tasks });

describe(BatchesService.name, () => {
  it('stores every task with the batch, then queues every first stage at once, with its priority', async () => {
    const { service, batches, dispatcher } = setup();
    const { id, taskIds } = await service.submit(
      batchOf(EXAMPLE_TASK, { ...EXAMPLE_TASK, priority: TaskPriority.LOW }),
      'alice',
    );
    expect(taskIds).toHaveLength(2);
    expect(batches.create).toHaveBeenCalledWith(
      id,
      'alice',
      [
        expect.objectContaining({ id: taskIds[0], limits: { softSeconds: 3300, hardSeconds: 3600 }, owner: 'alice' }),
        expect.objectContaining({ id: taskIds[1], spec: expect.objectContaining({ priority: TaskPriority.LOW }) }),
      ],
      undefined,
    );
    expect(dispatcher.dispatchAll).toHaveBeenCalledWith([
      expect.objectContaining({
        id: taskIds[0],
        status: TaskStatus.PENDING,
        stage: TaskStage.COLLECT,
        priority: 'normal',
      }),
      expect.objectContaining({ id: taskIds[1], priority: 'low' }),
    ]);
  });

  it('answers 413 naming the cap for a batch over BATCH_MAX_TASKS, and stores nothing', async () => {
    const { service, batches } = setup(2);
    const error = await service
      .submit(batchOf(EXAMPLE_TASK, EXAMPLE_TASK, EXAMPLE_TASK), null)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as PayloadTooLargeException).getResponse()).toMatchObject({ max_tasks: 2 });
    expect((error as Error).message).toContain('at most 2 tasks (BATCH_MAX_TASKS)');
    expect(batches.create).not.toHaveBeenCalled();
  });

  it('refuses the whole batch naming the index of every task with impossible limits, and stores nothing', async () => {
    const { service, batches } = setup();
    const bad = { ...EXAMPLE_TASK, limits: { soft_seconds: 20, hard_seconds: 10 } };
    const error = await service.submit(batchOf(EXAMPLE_TASK, bad, bad), null).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({
      fields: [
        { field: 'tasks[1].limits.soft_seconds', reasons: ['soft_seconds must not exceed hard_seconds (10)'] },
        { field: 'tasks[2].limits.soft_seconds', reasons: ['soft_seconds must not exceed hard_seconds (10)'] },
      ],
    });
    expect(batches.create).not.toHaveBeenCalled();
  });

  it('removes the batch again and answers 503 when its tasks cannot be queued', async () => {
    const { service, batches, dispatcher } = setup();
    dispatcher.dispatchAll.mockRejectedValueOnce(new Error('Redis is down'));
    await expect(service.submit(batchOf(EXAMPLE_TASK), null)).rejects.toBeInstanceOf(ServiceUnavailableException);
    const [[id]] = batches.create.mock.calls as unknown as [[string]];
    expect(batches.remove).toHaveBeenCalledWith(id);
  });

  it('still answers 503, and marks nothing queued, when removing the unqueued batch fails too', async () => {
    const { service, tasks, batches, dispatcher } = setup();
    dispatcher.dispatchAll.mockRejectedValueOnce(new Error('Redis is down'));
    batches.remove.mockRejectedValueOnce(new Error('Connection terminated'));
    await expect(service.submit(batchOf(EXAMPLE_TASK), null)).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(tasks.markQueued).not.toHaveBeenCalled();
  });

  it('marks every task of the batch queued once their jobs are', async () => {
    const { service, tasks, intake } = setup();
    const { taskIds } = await service.submit(batchOf(EXAMPLE_TASK, EXAMPLE_TASK), null);
    await intake.beforeApplicationShutdown(); // the mark lingers to go with others
    expect(tasks.markQueued).toHaveBeenCalledWith(...taskIds);
  });

  it('names the index of a task over the size limits', async () => {
    const { service, batches } = setup();
    const big = {
      ...EXAMPLE_TASK,
      data_sources: [{ id: 'a', type: 'api', url: 'http://x/', simulation: { records: 1_001 } }],
    } as CreateBatchDto['tasks'][number];
    const error = await service.submit(batchOf(EXAMPLE_TASK, big), null).catch((caught: unknown) => caught);
    expect((error as BadRequestException).getResponse()).toMatchObject({
      fields: [{ field: 'tasks[1].data_sources', reasons: [expect.stringMatching(/1001 records/)] }],
    });
    expect(batches.create).not.toHaveBeenCalled();
  });

  it('answers 429 when the batch would take the service past MAX_ACTIVE_TASKS, and stores nothing', async () => {
    const { service, batches } = setup(3, { active: 8, maxActiveTasks: 10 });
    await expect(service.submit(batchOf(EXAMPLE_TASK, EXAMPLE_TASK), null)).resolves.toBeDefined();
    const error = await service
      .submit(batchOf(EXAMPLE_TASK, EXAMPLE_TASK, EXAMPLE_TASK), null)
      .catch((caught: unknown) => caught);
    expect((error as HttpException).getStatus()).toBe(429);
    expect((error as Error).message).toMatch(/3 more would pass the 10/);
    expect(batches.create).toHaveBeenCalledTimes(1);
  });
});
