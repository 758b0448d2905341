import type { HttpException } from '@nestjs/common';
import { ServiceUnavailableException } from '@nestjs/common';
import { EXAMPLE_TASK } from '@app/contracts';
import type { BatchStore, NewTask, TaskRepository } from '@app/persistence';
import type { StageDispatcher } from '@app/pipeline';
import { SourceRules } from './source-rules';
import { TaskAdmission } from './task-admission';
import { TaskIntake } from './task-intake';
import { toTaskSpec } from './task-spec.mapper';

const LIMITS = { softSeconds: 3300, hardSeconds: 3600 };

function setup({ active = 0, maxActiveTasks = 100 } = {}) {
  const tasks = {
    countAllActive: jest.fn(async () => active),
    create: jest.fn(async () => undefined),
    remove: jest.fn(async () => undefined),
    markQueued: jest.fn(async () => undefined),
  };
  const dispatcher = { dispatchAll: jest.fn(async () => undefined) };
  const admission = new TaskAdmission(
    LIMITS,
    { maxRecordsPerTask: 1_000, maxScoresPerTask: 10_000, maxActiveTasks },
    new SourceRules({ mode: 'simulated', connections: new Set() }),
    tasks as unknown as TaskRepository,
  );
  const intake = new TaskIntake(
    tasks as unknown as TaskRepository,
    {} as BatchStore,
    dispatcher as unknown as StageDispatcher,
    admission,
  );
  return { intake, tasks, dispatcher };
}

const newTask = (id: string): NewTask => ({ id, spec: toTaskSpec(EXAMPLE_TASK), limits: LIMITS, owner: null });

describe(TaskIntake.name, () => {
  it('stores, queues and marks concurrent submissions together: one count, INSERT, addBulk and UPDATE', async () => {
    const { intake, tasks, dispatcher } = setup();
    await Promise.all(['a', 'b', 'c'].map((id) => intake.accept(newTask(id))));
    expect(tasks.countAllActive).toHaveBeenCalledTimes(1);
    expect(tasks.create).toHaveBeenCalledTimes(1);
    expect(tasks.create).toHaveBeenCalledWith(newTask('a'), newTask('b'), newTask('c'));
    expect(dispatcher.dispatchAll).toHaveBeenCalledTimes(1);
    expect(dispatcher.dispatchAll).toHaveBeenCalledWith([
      expect.objectContaining({ id: 'a' }),
      expect.objectContaining({ id: 'b' }),
      expect.objectContaining({ id: 'c' }),
    ]);
    // The mark is not awaited by the answers: it lingers to go with others, or goes at shutdown.
    expect(tasks.markQueued).not.toHaveBeenCalled();
    await intake.beforeApplicationShutdown();
    expect(tasks.markQueued).toHaveBeenCalledWith('a', 'b', 'c');
  });

  it('marks the tasks of several group commits queued in one UPDATE', async () => {
    const { intake, tasks } = setup();
    await intake.accept(newTask('a'));
    await intake.accept(newTask('b'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(tasks.create).toHaveBeenCalledTimes(2);
    expect(tasks.markQueued.mock.calls).toEqual([['a', 'b']]);
  });

  it('admits the first of a group that fit under MAX_ACTIVE_TASKS and refuses the rest with 429', async () => {
    const { intake, tasks } = setup({ active: 8, maxActiveTasks: 10 });
    const outcomes = await Promise.allSettled(['a', 'b', 'c'].map((id) => intake.accept(newTask(id))));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const refusal = (outcomes[2] as PromiseRejectedResult).reason as HttpException;
    expect(refusal.getStatus()).toBe(429);
    expect(refusal.message).toMatch(/running 10 tasks, as many as it takes/);
    expect(tasks.create).toHaveBeenCalledWith(newTask('a'), newTask('b'));
  });

  it('stores nothing when the service is full', async () => {
    const { intake, tasks } = setup({ active: 10, maxActiveTasks: 10 });
    await expect(intake.accept(newTask('a'))).rejects.toMatchObject({ status: 429 });
    expect(tasks.create).not.toHaveBeenCalled();
  });

  it('removes the whole group again and answers each 503 when the group cannot be queued', async () => {
    const { intake, tasks, dispatcher } = setup();
    dispatcher.dispatchAll.mockRejectedValueOnce(new Error('Redis is down'));
    const outcomes = await Promise.allSettled(['a', 'b'].map((id) => intake.accept(newTask(id))));
    for (const outcome of outcomes) {
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ServiceUnavailableException);
    }
    expect(tasks.remove).toHaveBeenCalledWith('a', 'b');
    expect(tasks.markQueued).not.toHaveBeenCalled();
  });

  it('fails the group with the store error when the INSERT fails, queueing nothing', async () => {
    const { intake, tasks, dispatcher } = setup();
    tasks.create.mockRejectedValueOnce(new Error('Connection terminated'));
    await expect(intake.accept(newTask('a'))).rejects.toThrow('Connection terminated');
    expect(dispatcher.dispatchAll).not.toHaveBeenCalled();
    await expect(intake.accept(newTask('b'))).resolves.toBeUndefined();
  });
});
