import { Inject, Injectable } from '@nestjs/common';
import { TaskRepository } from '@app/persistence';
import type { Principal } from './api-keys';

export const MAX_ACTIVE_TASKS_PER_KEY = Symbol('MAX_ACTIVE_TASKS_PER_KEY');

/** How long a caller over its cap is told to wait: about the time a small task takes. */
export const ACTIVE_CAP_RETRY_AFTER_SECONDS = 5;

/**
 * The cap on one key's pending and running tasks, so one caller cannot fill the queues for all. It
 * is read before the insert: concurrent submissions of one key may pass it by as many as they are.
 */
@Injectable()
export class ActiveTaskCap {
  constructor(
    @Inject(MAX_ACTIVE_TASKS_PER_KEY) private readonly max: number,
    private readonly tasks: TaskRepository,
  ) {}

  /** The number of active tasks when the caller is at its cap, else undefined. */
  async exceeded(principal: Principal): Promise<number | undefined> {
    if (this.max === 0 || principal.name === null) return undefined;
    const active = await this.tasks.countActive(principal.name);
    return active >= this.max ? active : undefined;
  }

  get limit(): number {
    return this.max;
  }
}
