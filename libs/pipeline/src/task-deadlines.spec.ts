import { TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskRepository } from '@app/persistence';
import type { TaskEventsPublisher } from './events.module';
import type { StageDispatcher } from './stage-dispatcher';
import { TaskDeadlines } from './task-deadlines';
import { TaskStopper } from './task-stopper';

const ended = (id: string, error: string) => ({
  id,
  status: TaskStatus.FAILED,
  stage: TaskStage.EVALUATE,
  chunksTotal: 3,
  chunksDone: 1,
  recordsTotal: 75,
  priority: TaskPriority.NORMAL,
  error,
});

function setup() {
  const tasks = {
    failPastHardDeadline: jest.fn(async () => [ended('t1', 'time limit exceeded: …')]),
    markPastSoftDeadline: jest.fn(async () => [
      { ...ended('t2', 'soft time limit of 1 s exceeded'), status: TaskStatus.RUNNING },
    ]),
  };
  const dispatcher = { discardQueued: jest.fn(async () => undefined) };
  const events = { cancelled: jest.fn(), progress: jest.fn() };
  const deadlines = new TaskDeadlines(
    { sweepIntervalMs: 1_000 },
    tasks as unknown as TaskRepository,
    new TaskStopper(dispatcher as unknown as StageDispatcher, events as unknown as TaskEventsPublisher),
    events as unknown as TaskEventsPublisher,
  );
  return { deadlines, tasks, dispatcher, events };
}

describe(TaskDeadlines.name, () => {
  it('stops a task past its hard limit everywhere: broadcast, queued jobs dropped, progress with the error', async () => {
    const { deadlines, dispatcher, events } = setup();
    await expect(deadlines.sweep()).resolves.toEqual({ hard: 1, soft: 1 });
    expect(events.cancelled).toHaveBeenCalledWith('t1');
    expect(dispatcher.discardQueued).toHaveBeenCalledWith('t1', 3);
    expect(events.progress).toHaveBeenCalledWith(expect.objectContaining({ id: 't1' }), 'time limit exceeded: …');
  });

  it('only announces a task past its soft limit: its work in hand goes on', async () => {
    const { deadlines, events, dispatcher } = setup();
    await deadlines.sweep();
    expect(events.cancelled).not.toHaveBeenCalledWith('t2');
    expect(dispatcher.discardQueued).not.toHaveBeenCalledWith('t2', expect.anything());
    expect(events.progress).toHaveBeenCalledWith(
      expect.objectContaining({ id: 't2' }),
      'soft time limit of 1 s exceeded',
    );
  });

  it('still sweeps the soft limits when dropping a stopped task’s jobs fails (Redis away)', async () => {
    const { deadlines, dispatcher, tasks } = setup();
    dispatcher.discardQueued.mockRejectedValueOnce(new Error('Redis is down'));
    await expect(deadlines.sweep()).resolves.toEqual({ hard: 1, soft: 1 });
    expect(tasks.markPastSoftDeadline).toHaveBeenCalled();
  });
});
