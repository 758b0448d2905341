import { TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskRepository, TaskState } from '@app/persistence';
import type { StageDispatcher } from './stage-dispatcher';
import { StageRecovery } from './stage-recovery';

const idle = (id: string): TaskState => ({
  id,
  status: TaskStatus.RUNNING,
  stage: TaskStage.EVALUATE,
  chunksTotal: 4,
  chunksDone: 1,
  recordsTotal: 100,
  priority: TaskPriority.NORMAL,
});

function setup(findIdle: () => Promise<TaskState[]>) {
  const tasks = { findIdle: jest.fn(findIdle) };
  const dispatcher = { redispatch: jest.fn().mockResolvedValue(undefined) };
  const recovery = new StageRecovery(
    { stage: TaskStage.EVALUATE, staleAfterMs: 120_000, intervalMs: 60_000 },
    tasks as unknown as TaskRepository,
    dispatcher as unknown as StageDispatcher,
  );
  return { recovery, tasks, dispatcher };
}

describe(StageRecovery.name, () => {
  it('re-dispatches the idle active tasks of its own stage', async () => {
    const { recovery, tasks, dispatcher } = setup(async () => [idle('a'), idle('b')]);
    await expect(recovery.sweep()).resolves.toBe(2);
    expect(tasks.findIdle).toHaveBeenCalledWith(TaskStage.EVALUATE, 120_000, expect.any(Number));
    expect(dispatcher.redispatch.mock.calls.map(([task]) => task.id)).toEqual(['a', 'b']);
  });

  it('survives a sweep that fails (Postgres down) and reports nothing done', async () => {
    const { recovery, dispatcher } = setup(async () => {
      throw new Error('connection refused');
    });
    await expect(recovery.sweep()).resolves.toBe(0);
    expect(dispatcher.redispatch).not.toHaveBeenCalled();
  });

  it('sweeps at bootstrap and on its interval until shutdown', async () => {
    jest.useFakeTimers();
    try {
      const { recovery, tasks } = setup(async () => []);
      recovery.onApplicationBootstrap();
      expect(tasks.findIdle).toHaveBeenCalledTimes(1);
      await jest.advanceTimersByTimeAsync(60_000);
      expect(tasks.findIdle).toHaveBeenCalledTimes(2);
      recovery.onApplicationShutdown();
      await jest.advanceTimersByTimeAsync(180_000);
      expect(tasks.findIdle).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
