import { Injectable } from '@nestjs/common';
import type { StageJob } from '@app/contracts';
import { TaskStage, TaskStatus } from '@app/contracts';
import type { TaskEntity, TaskState } from '@app/persistence';
import { TaskRepository } from '@app/persistence';
import { TaskEventsPublisher } from './events.module';
import { StageDispatcher } from './stage-dispatcher';

/** Why a job did no work; a skipped job completes (Bull does not retry it). */
export type SkipReason =
  /** The task row is gone. */
  | 'task-not-found'
  /** The task has ended (completed, failed, cancelled): nothing more to do for it. */
  | 'task-not-running'
  /** The task moved past this stage; its current stage was queued again in case that was lost. */
  | 'past-stage'
  /** The task has not reached this stage yet. */
  | 'before-stage'
  /** This job's share of the stage was stored by an earlier run. */
  | 'already-done'
  /** The task ended or vanished while the job worked; its work was not stored. */
  | 'task-ended';

/** What one job of a stage came to: `done` with the task's new state, or `skipped` with the reason. */
export type StageOutcome<D> = { kind: 'done'; task: TaskState; detail: D } | { kind: 'skipped'; reason: SkipReason };

export const done = <D>(task: TaskState, detail: D): StageOutcome<D> => ({ kind: 'done', task, detail });
export const skipped = <D>(reason: SkipReason): StageOutcome<D> => ({ kind: 'skipped', reason });

/** A job's task as its stage loaded it, with what the job is to work on (W). */
export interface LoadedTask<W> {
  task: TaskEntity;
  work: W;
}

/** A stage's work for one job, as a feature module implements it. */
export interface StageUseCase<T extends StageJob, D, W = undefined> {
  /**
   * Loads the job's task together with its work, in one statement; a stage whose jobs may find the
   * task pending (the collect stage) starts it on the way, as TaskRepository.start() does. Without it
   * the runner loads the task with TaskRepository.start(), and the work is undefined. Undefined when
   * the task is gone.
   */
  load?(job: T): Promise<LoadedTask<W> | undefined>;
  /**
   * The work on a task that the runner found running in this stage. Throws to let Bull retry; the
   * runner queues whatever stage the returned task is in next.
   */
  execute(job: T, task: TaskEntity, signal: AbortSignal, work: W): Promise<StageOutcome<D>>;
  /** One line on a done job, for the log. */
  describe(detail: D): string;
  /** The message of the task's progress broadcast on a done job (live clients read it). */
  progress(task: TaskState, detail: D): string;
}

const STAGE_ORDER: readonly TaskStage[] = [TaskStage.COLLECT, TaskStage.EVALUATE, TaskStage.GENERATE];

/**
 * What every stage job does around its use case, in one place: load the task (the first job of a
 * pending task starts it), skip it when it is gone or not running, queue its current stage again
 * when it is past this one (the run that moved it on may have died before queueing); then, after
 * the use case, queue what the task needs next (the next stage, or the next chunks) and broadcast
 * its progress.
 */
@Injectable()
export class StageRunner {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
  ) {}

  async run<T extends StageJob, D, W>(
    stage: TaskStage,
    job: T,
    useCase: StageUseCase<T, D, W>,
    signal: AbortSignal,
  ): Promise<StageOutcome<D>> {
    const loaded = useCase.load ? await useCase.load(job) : await this.start(job.taskId);
    if (!loaded) return skipped('task-not-found');
    const { task, work } = loaded as LoadedTask<W>;
    if (task.status !== TaskStatus.RUNNING) return skipped('task-not-running');
    if (task.stage !== stage) {
      if (!isPast(task.stage, stage)) return skipped('before-stage');
      await this.dispatcher.dispatch(task);
      return skipped('past-stage');
    }
    const outcome = await useCase.execute(job, task, signal, work);
    if (outcome.kind === 'done') {
      // The next stage when the task moved on; in the evaluate stage, the next chunk of its window.
      await this.dispatcher.dispatch(outcome.task, job);
      this.events.progress(outcome.task, useCase.progress(outcome.task, outcome.detail));
    }
    return outcome;
  }

  /** The task as TaskRepository.start() finds it: the first job of a pending task starts it. */
  private async start(taskId: string): Promise<LoadedTask<undefined> | undefined> {
    const task = await this.tasks.start(taskId);
    return task && { task, work: undefined };
  }
}

/** The outcome as the job's log line says it. */
export function describeOutcome<D>(
  outcome: StageOutcome<D>,
  useCase: Pick<StageUseCase<StageJob, D>, 'describe'>,
): string {
  switch (outcome.kind) {
    case 'done':
      return `${useCase.describe(outcome.detail)}, task ${outcome.task.status}/${outcome.task.stage}`;
    case 'skipped':
      return `skipped: ${outcome.reason}`;
  }
}

function isPast(current: TaskStage | null, stage: TaskStage): boolean {
  return current !== null && STAGE_ORDER.indexOf(current) > STAGE_ORDER.indexOf(stage);
}
