import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '@app/common';
import type { RecoveryOptions } from '@app/config';
import { TaskStage } from '@app/contracts';
import { TaskRepository } from '@app/persistence';
import { StageDispatcher } from './stage-dispatcher';

export interface StageRecoveryOptions extends RecoveryOptions {
  stage: TaskStage;
}

export const RECOVERY_OPTIONS = Symbol('RECOVERY_OPTIONS');
const TASKS_PER_SWEEP = 500;

/**
 * Postgres, not Redis, decides what is left to do: active tasks in this app's stage whose record has
 * not moved for a while are dispatched again. That re-queues work whose jobs Redis lost (a Redis
 * restart, a crash between a commit and an enqueue); for work still queued it adds nothing. The
 * collector's sweep also removes tasks that a failed submission stored but never queued.
 */
@Injectable()
export class StageRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StageRecovery.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RECOVERY_OPTIONS) private readonly options: StageRecoveryOptions,
    private readonly tasks: TaskRepository,
    private readonly dispatcher: StageDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    try {
      if (this.options.stage === TaskStage.COLLECT) await this.removeUnqueued();
      const idle = await this.tasks.findIdle(this.options.stage, this.options.staleAfterMs, TASKS_PER_SWEEP);
      for (const task of idle) {
        await this.dispatcher.redispatch(task);
        this.logger.log({ task_id: task.id, msg: `re-dispatched idle ${this.options.stage} task ${task.id}` });
      }
      return idle.length;
    } catch (error) {
      this.logger.warn(`recovery sweep failed: ${describeError(error)}`);
      return 0;
    }
  }

  /** Submissions whose task was stored but never queued: their client got an error, nothing may run. */
  private async removeUnqueued(): Promise<void> {
    for (const id of await this.tasks.removeUnqueued(this.options.staleAfterMs)) {
      this.logger.warn({ task_id: id, msg: `removed task ${id}: stored by a submission that failed, never queued` });
    }
  }
}
