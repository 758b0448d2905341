import { Logger } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { JobName } from '@app/contracts';

export interface StageWorkerOptions<T extends { taskId: string }> {
  queue: Queue<T>;
  jobName: JobName;
  /** Jobs of this name this replica runs at once. */
  concurrency: number;
  logger: Logger;
  /** Does the stage's work; resolves with a one-line outcome for the log, throws to let Bull retry. */
  handle: (job: Job<T>) => Promise<string>;
  /** Called once Bull has given up on a job (attempts or stalls exhausted): the task must not hang. */
  onGaveUp: (data: T, error: Error) => Promise<void>;
}

/**
 * Binds a stage's handler to its queue: logs start, duration and outcome, rethrows so Bull retries,
 * and reports jobs that Bull gave up on. Registered at bootstrap (after migrations), with the
 * concurrency from the validated config rather than a decorator constant.
 */
export function processStage<T extends { taskId: string }>(options: StageWorkerOptions<T>): void {
  const { queue, jobName, concurrency, logger, handle, onGaveUp } = options;
  void queue.process(jobName, concurrency, async (job: Job<T>) => {
    const startedAt = Date.now();
    try {
      const outcome = await handle(job);
      logger.log(`${jobName} ${job.id} (attempt ${job.attemptsMade + 1}) ${outcome} in ${Date.now() - startedAt} ms`);
    } catch (error) {
      logger.warn(`${jobName} ${job.id} (attempt ${job.attemptsMade + 1}) failed after ${Date.now() - startedAt} ms: ${describeError(error)}`);
      throw error;
    }
  });
  queue.on('failed', (job: Job<T>, error: Error) => {
    if (job.name !== jobName) return;
    void (async () => {
      // A job that will be retried is delayed or waiting again; only a failed one is given up on.
      if ((await job.getState()) !== 'failed') return;
      logger.error(`${jobName} ${job.id} given up after ${job.attemptsMade} attempts: ${error.message}`);
      await onGaveUp(job.data, error);
    })().catch((reportError: unknown) => logger.error(`could not report ${jobName} ${job.id}: ${describeError(reportError)}`));
  });
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
