import type { StageJob } from '@app/contracts';
import { TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskEntity, TaskRepository, TaskState } from '@app/persistence';
import type { TaskEventsPublisher } from './events.module';
import type { StageDispatcher } from './stage-dispatcher';
import type { LoadedTask, StageOutcome, StageUseCase } from './stage-runner';
import { describeOutcome, done, skipped, StageRunner } from './stage-runner';

const TASK_ID = 'task-1';

function entity(overrides: Partial<TaskEntity> = {}): TaskEntity {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    chunksTotal: 2,
    chunksDone: 0,
    recordsTotal: 4,
    ...overrides,
  } as TaskEntity;
}

function state(overrides: Partial<TaskState> = {}): TaskState {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    chunksTotal: 2,
    chunksDone: 1,
    recordsTotal: 4,
    priority: TaskPriority.NORMAL,
    ...overrides,
  };
}

/** A use case that answers what the test says and records what it was given. */
class FakeUseCase implements StageUseCase<StageJob, { n: number }> {
  readonly calls: { job: StageJob; task: TaskEntity; signal: AbortSignal }[] = [];
  constructor(private readonly answer: () => Promise<StageOutcome<{ n: number }>>) {}

  execute(job: StageJob, task: TaskEntity, signal: AbortSignal): Promise<StageOutcome<{ n: number }>> {
    this.calls.push({ job, task, signal });
    return this.answer();
  }

  describe({ n }: { n: number }): string {
    return `did ${n}`;
  }

  progress(task: TaskState, { n }: { n: number }): string {
    return `${n} done, ${task.chunksDone} chunk(s)`;
  }
}

/** `found`: the task as TaskRepository.start() returns it (started on the way when it was pending). */
function setup(found: TaskEntity | undefined) {
  const tasks = { start: jest.fn(async () => found) };
  const dispatcher = { dispatch: jest.fn(async (_task: TaskState) => undefined) };
  const events = { progress: jest.fn() };
  const runner = new StageRunner(
    tasks as unknown as TaskRepository,
    dispatcher as unknown as StageDispatcher,
    events as unknown as TaskEventsPublisher,
  );
  return { runner, tasks, dispatcher, events };
}

const live = (): AbortSignal => new AbortController().signal;
const JOB: StageJob = { taskId: TASK_ID };

describe(StageRunner.name, () => {
  describe('before the use case', () => {
    it('skips a task that does not exist', async () => {
      const { runner, dispatcher } = setup(undefined);
      const useCase = new FakeUseCase(async () => done(state(), { n: 1 }));

      await expect(runner.run(TaskStage.EVALUATE, JOB, useCase, live())).resolves.toEqual(skipped('task-not-found'));
      expect(useCase.calls).toEqual([]);
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
    });

    it.each([TaskStatus.CANCELLED, TaskStatus.FAILED, TaskStatus.COMPLETED])(
      'skips a task that is %s without queueing anything',
      async (status) => {
        const { runner, dispatcher, events } = setup(entity({ status }));
        const useCase = new FakeUseCase(async () => done(state(), { n: 1 }));

        await expect(runner.run(TaskStage.EVALUATE, JOB, useCase, live())).resolves.toEqual(
          skipped('task-not-running'),
        );
        expect(useCase.calls).toEqual([]);
        expect(dispatcher.dispatch).not.toHaveBeenCalled();
        expect(events.progress).not.toHaveBeenCalled();
      },
    );

    it('queues the current stage of a task that is past this one again, instead of working', async () => {
      const past = entity({ stage: TaskStage.GENERATE });
      const { runner, dispatcher } = setup(past);
      const useCase = new FakeUseCase(async () => done(state(), { n: 1 }));

      await expect(runner.run(TaskStage.EVALUATE, JOB, useCase, live())).resolves.toEqual(skipped('past-stage'));
      expect(dispatcher.dispatch).toHaveBeenCalledTimes(1);
      expect(dispatcher.dispatch).toHaveBeenCalledWith(past);
      expect(useCase.calls).toEqual([]);
    });

    it('skips a task that has not reached this stage, queueing nothing', async () => {
      const { runner, dispatcher } = setup(entity({ stage: TaskStage.EVALUATE }));
      const useCase = new FakeUseCase(async () => done(state(), { n: 1 }));

      await expect(runner.run(TaskStage.GENERATE, JOB, useCase, live())).resolves.toEqual(skipped('before-stage'));
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
      expect(useCase.calls).toEqual([]);
    });

    it('starts a pending task and hands the use case the running task', async () => {
      const { runner, tasks } = setup(entity({ status: TaskStatus.RUNNING, stage: TaskStage.COLLECT }));
      const useCase = new FakeUseCase(async () => skipped('already-done'));

      await runner.run(TaskStage.COLLECT, JOB, useCase, live());

      expect(tasks.start).toHaveBeenCalledWith(TASK_ID);
      expect(useCase.calls).toHaveLength(1);
      expect(useCase.calls[0].task).toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
    });

    it('skips a task that was cancelled before it could start', async () => {
      const useCase = new FakeUseCase(async () => skipped('already-done'));
      const cancelled = setup(entity({ status: TaskStatus.CANCELLED, stage: TaskStage.COLLECT }));
      await expect(cancelled.runner.run(TaskStage.COLLECT, JOB, useCase, live())).resolves.toEqual(
        skipped('task-not-running'),
      );
      expect(useCase.calls).toEqual([]);
    });
  });

  describe('with a use case that loads its task itself', () => {
    /** FakeUseCase with a load of its own, as the evaluate stage's (the task and its chunk's records). */
    class LoadingUseCase extends FakeUseCase implements StageUseCase<StageJob, { n: number }, string[]> {
      readonly work: (string[] | undefined)[] = [];
      constructor(readonly load: (job: StageJob) => Promise<LoadedTask<string[]> | undefined>) {
        super(async () => done(state(), { n: 1 }));
      }
      override execute(job: StageJob, task: TaskEntity, signal: AbortSignal, work?: string[]) {
        this.work.push(work);
        return super.execute(job, task, signal);
      }
    }

    it('hands the use case the task and the work it loaded, and asks the repository nothing', async () => {
      const { runner, tasks } = setup(entity({ status: TaskStatus.CANCELLED }));
      const task = entity();
      const useCase = new LoadingUseCase(async () => ({ task, work: ['r1', 'r2'] }));

      await runner.run(TaskStage.EVALUATE, JOB, useCase, live());

      expect(tasks.start).not.toHaveBeenCalled();
      expect(useCase.calls).toEqual([{ job: JOB, task, signal: expect.any(AbortSignal) }]);
      expect(useCase.work).toEqual([['r1', 'r2']]);
    });

    it('applies the same checks to the task it loaded', async () => {
      const { runner } = setup(entity());
      const gone = new LoadingUseCase(async () => undefined);
      await expect(runner.run(TaskStage.EVALUATE, JOB, gone, live())).resolves.toEqual(skipped('task-not-found'));
      const cancelled = new LoadingUseCase(async () => ({ task: entity({ status: TaskStatus.CANCELLED }), work: [] }));
      await expect(runner.run(TaskStage.EVALUATE, JOB, cancelled, live())).resolves.toEqual(
        skipped('task-not-running'),
      );
      expect([...gone.work, ...cancelled.work]).toEqual([]);
    });
  });

  describe('after the use case', () => {
    it('hands the use case the job, the task and the signal, and returns its outcome', async () => {
      const task = entity();
      const { runner } = setup(task);
      const outcome = done(state(), { n: 2 });
      const useCase = new FakeUseCase(async () => outcome);
      const signal = live();

      await expect(runner.run(TaskStage.EVALUATE, JOB, useCase, signal)).resolves.toBe(outcome);
      expect(useCase.calls).toEqual([{ job: JOB, task, signal }]);
    });

    it('queues the next stage when the task moved on, and broadcasts its progress', async () => {
      const { runner, dispatcher, events } = setup(entity());
      const movedOn = state({ stage: TaskStage.GENERATE, chunksDone: 2 });

      await runner.run(TaskStage.EVALUATE, JOB, new FakeUseCase(async () => done(movedOn, { n: 3 })), live());

      expect(dispatcher.dispatch).toHaveBeenCalledTimes(1);
      expect(dispatcher.dispatch).toHaveBeenCalledWith(movedOn, JOB);
      expect(events.progress).toHaveBeenCalledWith(movedOn, '3 done, 2 chunk(s)');
    });

    it('dispatches the task again while it stays in this stage (the next chunks, searched from where the finished job says), and broadcasts its progress', async () => {
      const { runner, dispatcher, events } = setup(entity());
      const stays = state({ chunksDone: 1 });

      await runner.run(TaskStage.EVALUATE, JOB, new FakeUseCase(async () => done(stays, { n: 1 })), live());

      expect(dispatcher.dispatch).toHaveBeenCalledWith(stays, JOB);
      expect(events.progress).toHaveBeenCalledWith(stays, '1 done, 1 chunk(s)');
    });

    it('queues and broadcasts nothing for a job the use case skipped', async () => {
      const { runner, dispatcher, events } = setup(entity());

      await expect(
        runner.run(TaskStage.EVALUATE, JOB, new FakeUseCase(async () => skipped('already-done')), live()),
      ).resolves.toEqual(skipped('already-done'));
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
      expect(events.progress).not.toHaveBeenCalled();
    });

    it("lets the use case's error through (Bull retries), queueing nothing", async () => {
      const { runner, dispatcher } = setup(entity());
      const useCase = new FakeUseCase(() => Promise.reject(new Error('Postgres is down')));

      await expect(runner.run(TaskStage.EVALUATE, JOB, useCase, live())).rejects.toThrow('Postgres is down');
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
    });
  });

  it('puts an outcome into the one line the job log shows', () => {
    const useCase = new FakeUseCase(async () => skipped('already-done'));
    expect(describeOutcome(done(state({ stage: TaskStage.GENERATE }), { n: 4 }), useCase)).toBe(
      'did 4, task running/generate',
    );
    expect(describeOutcome(skipped('past-stage'), useCase)).toBe('skipped: past-stage');
  });
});
