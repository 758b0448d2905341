import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from '@app/common';
import type { TimeLimitOptions } from '@app/config';
import { TaskRepository } from '@app/persistence';
import { TaskEventsPublisher } from './events.module';
import { TaskStopper } from './task-stopper';

export const TIME_LIMIT_OPTIONS = Symbol('TIME_LIMIT_OPTIONS');
const TASKS_PER_SWEEP = 200;

/**
 * Enforces the tasks' time limits from Postgres, where the deadlines are (set when a task starts).
 * Past the hard deadline a running task fails with "time limit exceeded" and its work stops: the
 * cancel broadcast aborts the jobs in hand and its queued jobs are dropped. Past the soft deadline the
 * task is marked: the stages take no new work for it (a source not yet fetched, a chunk not yet
 * scored is recorded as skipped) and it ends completed_with_errors with what it has. Every worker
 * replica sweeps; the guarded UPDATEs let exactly one of them act on each task.
 */
@Injectable()
export class TaskDeadlines implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskDeadlines.name);
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(TIME_LIMIT_OPTIONS) private readonly options: TimeLimitOptions,
    private readonly tasks: TaskRepository,
    private readonly stopper: TaskStopper,
    private readonly events: TaskEventsPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One pass; returns how many tasks hit their hard and their soft limit. */
  async sweep(): Promise<{ hard: number; soft: number }> {
    const failed = await this.tasks.failPastHardDeadline(TASKS_PER_SWEEP);
    for (const task of failed) await this.stopper.stop(task, task.error);
    const limited = await this.tasks.markPastSoftDeadline(TASKS_PER_SWEEP);
    for (const task of limited) this.events.progress(task, task.error);
    if (failed.length + limited.length > 0) {
      this.logger.log(`time limits: ${failed.length} task(s) failed (hard), ${limited.length} marked (soft)`);
    }
    return { hard: failed.length, soft: limited.length };
  }

  /** A chain of timeouts rather than an interval, so that a slow sweep never overlaps the next. */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.sweep()
        .catch((error: unknown) => this.logger.warn(`time-limit sweep failed: ${describeError(error)}`))
        .finally(() => this.schedule());
    }, this.options.sweepIntervalMs);
    this.timer.unref();
  }
}
