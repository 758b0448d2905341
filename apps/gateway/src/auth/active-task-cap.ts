import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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

  /**
   * 429 with Retry-After when the caller's active tasks and the `adding` it submits now would pass
   * its cap (a submission or retry adds one, a batch all its tasks); nothing is stored then.
   */
  async enforce(principal: Principal, reply: FastifyReply, adding = 1): Promise<void> {
    if (this.max === 0 || principal.name === null) return;
    const active = await this.tasks.countActive(principal.name);
    if (active + adding <= this.max) return;
    void reply.header('Retry-After', String(ACTIVE_CAP_RETRY_AFTER_SECONDS));
    throw new HttpException(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message:
          adding === 1
            ? `This key has ${active} active tasks, its cap is ${this.max}; submit again when some have ended`
            : `This key has ${active} active tasks; ${adding} more would pass its cap of ${this.max}; submit again when some have ended`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
