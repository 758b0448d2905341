import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bull';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describeError, withDeadline } from '@app/common';
import type { LlmCallOutcome, LlmObserver } from '@app/llm';
import { TaskRepository } from '@app/persistence';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions } from './observability.options';
import { CHECK_DEADLINE_MS, ReadinessChecks } from './readiness-checks';

/** Every metric of ours starts with this, so a shared Prometheus tells them from other services'. */
export const METRIC_PREFIX = 'dataproc_';

/** Bull's job states, as getJobCounts() names them. */
const JOB_STATES = ['waiting', 'active', 'delayed', 'paused', 'completed', 'failed'] as const;

const LLM_OUTCOMES: LlmCallOutcome[] = ['ok', '429', '5xx', 'timeout', 'error', 'cached'];

/** LLM calls and limiter waits: milliseconds (simulator, cache) to the provider's timeouts. */
const LLM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** API answers: a read takes milliseconds; a submit a few more. */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Job durations from a few milliseconds (a skipped job) to minutes (a large collect). */
const JOB_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The Prometheus registry of one process: Node's default process metrics, the depth of the app's
 * queues per state and, where asked, tasks per status (both read from Redis and Postgres when
 * scraped), and the jobs this process ran with their durations (counted as they finish).
 */
@Injectable()
export class PipelineMetrics implements OnApplicationBootstrap, LlmObserver {
  readonly registry = new Registry();
  private readonly logger = new Logger(PipelineMetrics.name);
  private readonly jobs: Counter<'queue' | 'outcome'>;
  private readonly jobDuration: Histogram<'queue' | 'outcome'>;
  private readonly records: Counter<'outcome'>;
  private readonly llmCalls: Counter<'outcome'>;
  private readonly llmLatency: Histogram<'outcome'>;
  private readonly llmWait: Histogram;
  private readonly llmTokensUsed: Counter<'kind'>;
  private readonly webhooks: Counter<'outcome'>;
  private readonly httpRequests: Counter<'method' | 'route' | 'code'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;

  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ObservabilityOptions,
    private readonly readiness: ReadinessChecks,
    private readonly tasks: TaskRepository,
  ) {
    this.registry.setDefaultLabels({ app: options.app });
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    // Gauges that prom-client names with `_total`, which Prometheus keeps for counters (promtool says so).
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      this.registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
    }
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
    this.records = new Counter({
      name: `${METRIC_PREFIX}records_evaluated_total`,
      help: 'Records this process scored (outcome ok) or could not score (failed), counted when their chunk is stored',
      labelNames: ['outcome'],
      registers,
    });
    this.llmCalls = new Counter({
      name: `${METRIC_PREFIX}llm_calls_total`,
      help: 'LLM provider call attempts by outcome (ok, 429, 5xx, timeout, error), and answers served from the cache (cached)',
      labelNames: ['outcome'],
      registers,
    });
    this.llmLatency = new Histogram({
      name: `${METRIC_PREFIX}llm_call_duration_seconds`,
      help: 'Time of one provider call attempt, after the rate limiter let it go, by outcome',
      labelNames: ['outcome'],
      buckets: LLM_BUCKETS,
      registers,
    });
    this.llmWait = new Histogram({
      name: `${METRIC_PREFIX}llm_limiter_wait_seconds`,
      help: 'Time a call waited for the shared rate limiter before going out',
      buckets: LLM_BUCKETS,
      registers,
    });
    this.llmTokensUsed = new Counter({
      name: `${METRIC_PREFIX}llm_tokens_total`,
      help: 'Tokens the provider reported for the calls of this process, by kind (prompt, completion)',
      labelNames: ['kind'],
      registers,
    });
    this.webhooks = new Counter({
      name: `${METRIC_PREFIX}webhook_deliveries_total`,
      help: 'Webhook delivery attempts by outcome (delivered, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.httpRequests = new Counter({
      name: `${METRIC_PREFIX}http_requests_total`,
      help: 'HTTP requests answered, by method, route pattern and status code',
      labelNames: ['method', 'route', 'code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: `${METRIC_PREFIX}http_request_duration_seconds`,
      help: 'Time to answer an HTTP request, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    // Every outcome from the first scrape on, so rates and dashboards see 0 rather than no series.
    for (const outcome of ['ok', 'failed']) this.records.inc({ outcome }, 0);
    for (const outcome of LLM_OUTCOMES) this.llmCalls.inc({ outcome }, 0);
    for (const kind of ['prompt', 'completion']) this.llmTokensUsed.inc({ kind }, 0);
    for (const outcome of ['delivered', 'failed']) this.webhooks.inc({ outcome }, 0);
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

  recordsEvaluated(ok: number, failed: number): void {
    this.records.inc({ outcome: 'ok' }, ok);
    this.records.inc({ outcome: 'failed' }, failed);
  }

  llmCall(outcome: LlmCallOutcome, seconds: number): void {
    this.llmCalls.inc({ outcome });
    if (outcome !== 'cached') this.llmLatency.observe({ outcome }, seconds);
  }

  llmLimiterWait(seconds: number): void {
    this.llmWait.observe(seconds);
  }

  llmTokens(prompt: number, completion: number): void {
    this.llmTokensUsed.inc({ kind: 'prompt' }, prompt);
    this.llmTokensUsed.inc({ kind: 'completion' }, completion);
  }

  webhookDelivery(outcome: 'delivered' | 'failed'): void {
    this.webhooks.inc({ outcome });
  }

  /** One answered request; `route` is the matched pattern (bounded), never the raw URL. */
  httpRequest(method: string, route: string, code: number, seconds: number): void {
    this.httpRequests.inc({ method, route, code: String(code) });
    this.httpDuration.observe({ method, route }, seconds);
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
