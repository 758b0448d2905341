import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describeError, withDeadline } from '@app/common';
import { TaskRepository } from '@app/persistence';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions } from './observability.options';
import { CHECK_DEADLINE_MS, ReadinessChecks } from './readiness-checks';

/** Every metric of ours starts with this, so a shared Prometheus tells them from other services'. */
export const METRIC_PREFIX = 'dataproc_';

/** Bull's job states, as getJobCounts() names them. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'paused', 'completed', 'failed'] as const;

/** Job durations from a few milliseconds (a skipped job) to minutes (a large collect). */
const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The Prometheus registry of one process: Node's default process metrics, the depth of the app's
 * queues per state and, where asked, tasks per status (both read from Redis and Postgres when
 * scraped), and the jobs this process ran with their durations (counted as they finish).
 */
@Injectable()
export class PipelineMetrics implements OnApplicationBootstrap {
  readonly registry = new Registry();
  private readonly logger = new Logger(PipelineMetrics.name);
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly jobDuration: Histogram<'queue' | 'outcome'>;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ObservabilityOptions,
    private readonly readiness: ReadinessChecks,
    private readonly tasks: TaskRepository,
  ) {
    this.registry.setDefaultLabels({ app: options.app });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    const registers = [this.registry];
    this.jobs = new Counter({
      name: `${METRIC_PREFIX}jobs_processed_total`,
      help: 'Stage job attempts this process finished, by queue and outcome (a failed attempt may be retried)',
      labelNames: ['queue', 'outcome'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: `${METRIC_PREFIX}job_duration_seconds`,
      help: 'Time from a job attempt starting to its end, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    // prom-client calls `collect` with the metric as `this`; these reach back to the service.
    const queueCounts = () => this.queueCounts();
    const taskCounts = () => this.taskCounts();
    new Gauge({
      name: `${METRIC_PREFIX}queue_jobs`,
      help: 'Jobs in a queue by state, read from Redis when scraped',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const [queue, counts] of await queueCounts()) {
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }
      },
    });
    if (options.taskCounts) {
      new Gauge({
        name: `${METRIC_PREFIX}tasks`,
        help: 'Tasks by status, read from Postgres when scraped',
        labelNames: ['status'],
        registers,
        async collect() {
          this.reset();
          const counts = await taskCounts();
          for (const [status, count] of Object.entries(counts ?? {})) this.set({ status }, count);
        },
      });
    }
  }

  /** Bull emits 'completed' and 'failed' locally for the jobs this process ran. */
  onApplicationBootstrap(): void {
    for (const name of this.options.queues) {
      const queue = this.readiness.queue(name);
      queue.on('completed', (job: Job) => this.finished(name, 'completed', job));
      queue.on('failed', (job: Job) => this.finished(name, 'failed', job));
    }
  }

  /** The whole registry in Prometheus's text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private finished(queue: string, outcome: 'completed' | 'failed', job: Job): void {
    this.jobs.inc({ queue, outcome });
    if (job.processedOn && job.finishedOn) {
      this.jobDuration.observe({ queue, outcome }, (job.finishedOn - job.processedOn) / 1000);
    }
  }

  /** A dependency that does not answer leaves its series out instead of failing the whole scrape. */
  private async queueCounts(): Promise<[string, Partial<Record<string, number>>][]> {
    const results = await Promise.all(
      this.options.queues.map(async (name) => {
        try {
          // Bull's type leaves out `paused`, which getJobCounts() reports too.
          const counts: Partial<Record<string, number>> = {
            ...(await withDeadline(this.readiness.queue(name).getJobCounts(), CHECK_DEADLINE_MS)),
          };
          return [[name, counts] as [string, Partial<Record<string, number>>]];
        } catch (error) {
          this.logger.warn(`queue ${name} depth not reported: ${describeError(error)}`);
          return [];
        }
      }),
    );
    return results.flat();
  }

  private async taskCounts(): Promise<Record<string, number> | undefined> {
    try {
      return await withDeadline(this.tasks.countByStatus(), CHECK_DEADLINE_MS);
    } catch (error) {
      this.logger.warn(`tasks by status not reported: ${describeError(error)}`);
      return undefined;
    }
  }
}
