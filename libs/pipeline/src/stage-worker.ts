import { getQueueToken } from '@nestjs/bull';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap, Provider, Type } from '@nestjs/common';
import { Job, Queue } from 'bull';
import { setMaxListeners } from 'node:events';
import { CancelledError, describeError, LinkedAbortController, publicReason } from '@app/common';
import { JobName, ProviderError, STAGE_QUEUES, StageJob, TaskStage } from '@app/contracts';
import { TaskRepository } from '@app/persistence';
import { CancellationRegistry } from './cancellation';
import { TaskEventsPublisher } from './events.module';
import type { StageUseCase } from './stage-runner';
import { describeOutcome, StageRunner } from './stage-runner';

/** Does one job's work; resolves with a one-line outcome for the log, throws to let Bull retry. */
export type StageHandler<T extends StageJob> = (data: T, signal: AbortSignal) => Promise<string>;

/**
 * Binds a stage's handler to its queue, the same way in every worker app: the job's work gets a
 * signal that a cancel broadcast aborts; start, duration and outcome are logged; errors are rethrown
 * so Bull retries; and a job Bull gives up on fails its task, so no task hangs between stages.
 * Registered at bootstrap (after migrations), with the concurrency from the validated config.
 */
@Injectable()
export class StageWorkers implements BeforeApplicationShutdown {
  private readonly processed = new Set<Queue>();

  constructor(
    private readonly cancellation: CancellationRegistry,
    private readonly tasks: TaskRepository,
    private readonly events: TaskEventsPublisher,
  ) {}

  /**
   * On shutdown, first closes the queues this app takes jobs from: Bull's close() stops taking new
   * ones and waits for those in hand, which still need Postgres, Redis and the other queues (to
   * queue the next stage). Those close in the next phase, once the jobs are done.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.processed].map((queue) => queue.close()));
  }

  process<T extends StageJob>(
    queue: Queue<T>,
    jobName: JobName,
    limits: { concurrency: number; timeoutMs: number },
    handle: StageHandler<T>,
  ): void {
    this.processed.add(queue);
    const logger = new Logger(jobName);
    void queue.process(jobName, limits.concurrency, async (job: Job<T>) => {
      const startedAt = Date.now();
      const fields = jobFields(job);
      const { signal: cancelled, release } = this.cancellation.track(job.data.taskId);
      // Bull's own job timeout fails the job but leaves its work running: the deadline aborts the work.
      const deadline = new LinkedAbortController([cancelled], limits.timeoutMs);
      const { signal } = deadline;
      // One job fans out to many concurrent calls that all listen to this signal.
      setMaxListeners(0, signal);
      logger.debug({ ...fields, event: 'started', msg: `${job.id} (attempt ${fields.attempt}) started` });
      try {
        const outcome = await handle(job.data, signal);
        const duration_ms = Date.now() - startedAt;
        // A job with nothing (left) to do says so; `event` tells the two apart without reading the text.
        const event = outcome.startsWith('skipped') ? 'skipped' : 'done';
        logger.log({ ...fields, event, duration_ms, msg: `${job.id} (attempt ${fields.attempt}) ${outcome}` });
      } catch (error) {
        const duration_ms = Date.now() - startedAt;
        if (!cancelled.aborted && signal.aborted) {
          logger.warn({
            ...fields,
            event: 'timed_out',
            duration_ms,
            msg: `${job.id} (attempt ${fields.attempt}) aborted at its time limit of ${limits.timeoutMs} ms`,
          });
          throw Object.assign(new Error(`${jobName} exceeded its time limit of ${limits.timeoutMs} ms`), {
            name: 'TimeoutError',
          });
        }
        if (cancelled.aborted || error instanceof CancelledError) {
          logger.log({ ...fields, event: 'cancelled', duration_ms, msg: `${job.id} stopped: task cancelled` });
          return;
        }
        // The provider refuses the service itself (a bad key, an outage past LLM_OUTAGE_MAX_MS): no
        // retry can help, so the task fails now with the provider's answer.
        if (error instanceof ProviderError && error.fatal) {
          logger.warn({
            ...fields,
            event: 'failed_task',
            duration_ms,
            msg: `${job.id} (attempt ${fields.attempt}) failed its task: ${error.message}`,
          });
          await this.failTask(job.data.taskId, error.message);
          return;
        }
        const reason = describeError(error);
        logger.warn({
          ...fields,
          event: 'failed',
          duration_ms,
          msg: `${job.id} (attempt ${fields.attempt}) failed: ${reason}`,
        });
        throw error;
      } finally {
        deadline.release();
        release();
      }
    });
    queue.on('failed', (job: Job<T>, error: Error) => {
      if (job.name !== (jobName as string)) return;
      void this.giveUpIfFinal(job, error, logger).catch((reportError: unknown) =>
        logger.error({ ...jobFields(job), msg: `could not report ${job.id}: ${describeError(reportError)}` }),
      );
    });
  }

  private async giveUpIfFinal<T extends StageJob>(job: Job<T>, error: Error, logger: Logger): Promise<void> {
    // A job that will be retried is delayed or waiting again; only a failed one has been given up on.
    if ((await job.getState()) !== 'failed') return;
    logger.error({
      ...jobFields(job),
      event: 'given_up',
      msg: `${job.id} given up after ${job.attemptsMade} attempt(s): ${error.message}`,
    });
    // The task's error is shown to clients: the log above keeps the driver's message, the task a safe one.
    await this.failTask(
      job.data.taskId,
      `${job.name} gave up after ${job.attemptsMade} attempt(s): ${publicReason(error)}`,
    );
  }

  /** Fails the task and stops the work other jobs are doing on it, in every replica. */
  private async failTask(taskId: string, message: string): Promise<void> {
    if (!(await this.tasks.fail(taskId, message))) return;
    // Reuses the cancel broadcast: it only means "stop working on this task", which is what is wanted.
    this.events.cancelled(taskId);
    const state = await this.tasks.state(taskId);
    if (state) this.events.progress(state, message);
  }
}

/** What every log line about a job carries, so the lines of one task or job can be picked out. */
function jobFields(job: Job<StageJob>): { task_id: string; job_id: string; queue: string; attempt: number } {
  return { task_id: job.data.taskId, job_id: String(job.id), queue: job.queue.name, attempt: job.attemptsMade + 1 };
}

/**
 * The provider that puts a feature module's use case to work on its stage's queue when the app has
 * bootstrapped (after migrations), `concurrency` jobs at a time in this replica, each within its time
 * limit, each job run by the
 * StageRunner around the use case.
 */
export function stageProcessor<T extends StageJob, D, W>(
  stage: TaskStage,
  limits: { concurrency: number; timeoutMs: number },
  useCase: Type<StageUseCase<T, D, W>>,
): Provider {
  const { queue, jobName } = STAGE_QUEUES[stage];
  return {
    provide: `${stage}-stage-processor`,
    inject: [getQueueToken(queue), StageWorkers, StageRunner, useCase],
    useFactory: (
      jobs: Queue<T>,
      workers: StageWorkers,
      runner: StageRunner,
      stageUseCase: StageUseCase<T, D, W>,
    ): OnApplicationBootstrap => ({
      onApplicationBootstrap: () =>
        workers.process(jobs, jobName, limits, async (data, signal) =>
          describeOutcome(await runner.run(stage, data, stageUseCase, signal), stageUseCase),
        ),
    }),
  };
}
