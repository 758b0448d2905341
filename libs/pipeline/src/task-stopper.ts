import { Injectable, Logger } from '@nestjs/common';
import { describeError } from '@app/common';
import type { TaskStage, TaskStatus } from '@app/contracts';
import { TaskEventsPublisher } from './events.module';
import { StageDispatcher } from './stage-dispatcher';

/** A task that has just ended without finishing its work: cancelled, or failed by its hard limit. */
export interface StoppedTask {
  id: string;
  status: TaskStatus;
  stage: TaskStage | null;
  chunksTotal: number | null;
}

/**
 * Stops the work of a task whose end Postgres already holds, wherever that work is: the cancel
 * broadcast aborts the jobs in hand on every replica, live clients hear why, and its queued jobs are
 * dropped (a queued job of an ended task would do nothing when it ran; dropping them frees the queue).
 */
@Injectable()
export class TaskStopper {
  private readonly logger = new Logger(TaskStopper.name);

  constructor(
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
  ) {}

  /** Never rejects: a failed clean-up is logged, and the queued jobs skip themselves when they run. */
  async stop(task: StoppedTask, message: string): Promise<void> {
    this.events.cancelled(task.id);
    this.events.progress(task, message);
    await this.dispatcher.discardQueued(task.id, task.chunksTotal).catch((error: unknown) =>
      this.logger.warn({
        task_id: task.id,
        msg: `could not discard queued jobs of ${task.id}: ${describeError(error)}`,
      }),
    );
  }
}
