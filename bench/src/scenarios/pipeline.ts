import type { Scenario, ScenarioContext, ScenarioOutcome } from '../scenario';
import { cpuPerCallFigures, peakRssFigures } from '../support/figures';
import { LatencyProbe } from '../support/latency-probe';
import { submitTasks, taskBody, waitForTasks } from '../support/load';
import type { Figure } from '../support/report';
import { atLeast, atMost, round } from '../support/report';
import type { HistogramReading } from '../support/route-histogram';
import { readRouteHistogram, routeTiming } from '../support/route-histogram';
import { BenchSystem, providerCalls } from '../support/system';

/**
 * Many small tasks end to end, the first measurement: 10,000 tasks of 2 sources × 2 records ×
 * 2 dimensions against the simulated LLM at 1 s latency with high limits.
 */
async function run({ services, size, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const tasks = size('tasks', 10_000, 300);
  const shape = { sources: 2, records: 2, dimensions: 2 };
  const latencyMs = size('llm-latency', 1000, 1000);
  // The setting. Each small task is one evaluate job of 8 calls that waits out the LLM's
  // latency, so one evaluator finishes at most WORKER_CONCURRENCY ÷ latency tasks a second (100/s,
  // 1,000 calls/s with the summaries) and makes at most LLM_MAX_CONCURRENCY ÷ latency record calls a
  // second (1,250 calls/s with the summaries), however little CPU a task takes; the result-generator's
  // WORKER_CONCURRENCY binds the same way. --worker-concurrency and --evaluators show what the same
  // machine does when those are not the limit.
  const workerConcurrency = size('worker-concurrency', 100, 100);
  const evaluators = size('evaluators', 1, 1);
  const llmMaxConcurrency = 1000;
  const bench = await BenchSystem.start(services, {
    replicas: { evaluator: evaluators },
    env: {
      SIM_LLM_LATENCY_MIN_MS: String(latencyMs),
      SIM_LLM_LATENCY_MAX_MS: String(latencyMs),
      LLM_MAX_CONCURRENCY: String(llmMaxConcurrency),
      WORKER_CONCURRENCY: String(workerConcurrency),
    },
  });
  try {
    const monitor = await bench.monitor();
    const gatewayTimings = () => readRouteHistogram(bench.baseUrl, 'GET', PROBED_ROUTE);
    const atStart = await gatewayTimings();
    const probe = new LatencyProbe(10).phase('while submitting').start();
    await submitTasks(
      bench.baseUrl,
      tasks,
      20,
      (index) => taskBody(index, shape),
      (id) => probe.target(`${bench.baseUrl}/api/v1/tasks/${id}`),
    );
    log(`  ${tasks} tasks submitted`);
    const submitted = await gatewayTimings();
    probe.phase('after submission');
    const counts = await waitForTasks(services.database, tasks, 600_000 + tasks * 500, log);
    const usage = await monitor.stop();
    const get = await probe.stop();
    const atEnd = await gatewayTimings();
    const calls = await bench.llmCalls();
    const provider = providerCalls(calls);
    // Every record on every dimension, and one summary per dimension of each task.
    const expected = tasks * shape.dimensions * (shape.sources * shape.records + 1);
    const seconds = counts.spanMs / 1000;
    return {
      parameters: {
        tasks,
        'sources × records × dimensions': `${shape.sources} × ${shape.records} × ${shape.dimensions}`,
        'LLM latency ms': latencyMs,
        LLM_MAX_CONCURRENCY: llmMaxConcurrency,
        WORKER_CONCURRENCY: workerConcurrency,
        'evaluator replicas': evaluators,
      },
      figures: [
        atLeast(
          { name: 'tasks completed', value: counts.completed, reference: { label: 'submitted', value: tasks } },
          tasks,
          'all',
        ),
        {
          name: 'wall time, first submit to last end',
          value: round(seconds, 1),
          unit: 's',
          target: tasks === 10_000 ? '< 80 s (today 231 s)' : undefined,
          met: tasks === 10_000 ? seconds < 80 : undefined,
        },
        atLeast({ name: 'tasks/s', value: round(tasks / seconds, 1) }, 125, '≥ 125 (10,000 in 80 s; today 45)'),
        atLeast({ name: 'LLM calls/s', value: round(provider / seconds, 0) }, 1300, '≥ 1,300 (today 430)'),
        atMost(
          {
            name: 'LLM calls ÷ calls needed (1.00: no work done twice)',
            value: round(provider / expected, 3),
            reference: { label: 'calls needed', value: expected },
          },
          1,
          '1.00',
        ),
        ...cpuPerCallFigures(usage, provider),
        ...peakRssFigures(usage),
        atMost(
          { name: 'GET /tasks/{id} p99 during the run', value: round(get.p99, 1), unit: 'ms' },
          50,
          '< 50 ms (today 44)',
        ),
        { name: 'GET /tasks/{id} p50 during the run', value: round(get.p50, 1), unit: 'ms' },
        ...Object.entries(get.phaseP99).map(([phase, p99]) => ({
          name: `GET /tasks/{id} p99 ${phase}`,
          value: round(p99, 1),
          unit: 'ms',
        })),
        ...insideGateway('while submitting', atStart, submitted),
        ...insideGateway('after submission', submitted, atEnd),
      ],
      usage: { run: usage },
      notes: [
        `LLM calls by outcome: ${JSON.stringify(calls)}; GETs probed: ${get.count} (${get.errors} failed).`,
        'CPU per call counts each process from /proc over the whole run (submission included), divided by the provider calls.',
      ],
    };
  } finally {
    await bench.stop();
  }
}

/** The route the latency probe GETs, as the gateway's metrics name it. */
const PROBED_ROUTE = '/api/v1/tasks/:id';

/**
 * The probe's GETs of one phase as the gateway timed them (its histogram, so the p99 is a bucket's
 * bound): beside the probe's own p99, what was spent inside the gateway and what waited outside it.
 */
function insideGateway(phase: string, before: HistogramReading, after: HistogramReading): Figure[] {
  const timing = routeTiming(before, after, 50);
  return [
    {
      name: `GET /tasks/{id} p99 inside the gateway ${phase} (its histogram's bucket)`,
      value: timing.p99Bucket,
      unit: 'ms',
    },
    {
      name: `GET /tasks/{id} answered within 50 ms inside the gateway ${phase}`,
      value: round(timing.shareWithin, 1),
      unit: '%',
      reference: { label: 'GETs timed', value: timing.count, unit: '' },
    },
  ];
}

export const pipeline: Scenario = {
  name: 'pipeline',
  title: 'small tasks end to end: throughput, CPU per LLM call per app, peak RSS, GET p99',
  takes: { full: '5–10 min', quick: '1 min' },
  run,
};
