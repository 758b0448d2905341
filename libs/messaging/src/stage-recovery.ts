import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '@app/common';
import { TaskStage } from '@app/contracts';
import { TaskRepository } from '@app/persistence';
import { StageDispatcher } from './stage-dispatcher';

export interface RecoverySettings {
  stage: TaskStage;
  RECOVERY_STALE_AFTER_MS: number;
  RECOVERY_INTERVAL_MS: number;
}

export const RECOVERY_SETTINGS = Symbol('RECOVERY_SETTINGS');
const TASKS_PER_SWEEP = 500;

/**
 * Postgres, not Redis, decides what is left to do: active tasks in this app's stage whose record has
 * not moved for a while are dispatched again. That re-queues work whose jobs Redis lost (a Redis
 * restart, a crash between a commit and an enqueue); for work still queued it adds nothing.
 */
@Injectable()
export class StageRecovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StageRecovery.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(RECOVERY_SETTINGS) private readonly settings: RecoverySettings,
    private readonly tasks: TaskRepository,
    private readonly dispatcher: StageDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.settings.RECOVERY_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    try {
      const idle = await this.tasks.findIdle(
        this.settings.stage,
        this.settings.RECOVERY_STALE_AFTER_MS,
        TASKS_PER_SWEEP,
      );
      for (const task of idle) await this.dispatcher.redispatch(task);
      if (idle.length > 0) this.logger.log(`re-dispatched ${idle.length} idle ${this.settings.stage} task(s)`);
      return idle.length;
    } catch (error) {
      this.logger.warn(`recovery sweep failed: ${describeError(error)}`);
      return 0;
    }
  }
}
