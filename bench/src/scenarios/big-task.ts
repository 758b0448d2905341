import type { Scenario, ScenarioContext, ScenarioOutcome } from '../scenario';
import { peakRssFigures } from '../support/figures';
import { LatencyProbe } from '../support/latency-probe';
import { delay, percentile, submitTasks, taskBody } from '../support/load';
import { atMost, round } from '../support/report';
import type { BenchDatabase } from '../support/services';
import { BenchSystem, providerCalls } from '../support/system';

/** Records one simulated source may serve (the API's limit). */
const RECORDS_PER_SOURCE = 10_000;
const FINISHED_GETS = 20;

interface TaskRow {
  status: string;
  stage: string | null;
  records_total: number;
  records_evaluated: number;
}

async function taskRow(database: BenchDatabase, id: string): Promise<TaskRow> {
  const [row] = await database.query<TaskRow>(
    'SELECT status, stage, records_total, records_evaluated FROM tasks WHERE id = $1',
    [id],
  );
  return row;
}

const active = (row: TaskRow): boolean => row.status === 'pending' || row.status === 'running';

/** Polls the task until it ends; returns when each stage was first seen (ms since the call), and the end. */
async function followStages(database: BenchDatabase, id: string, timeoutMs: number, log: (message: string) => void) {
  const started = performance.now();
  const seen = new Map<string, number>();
  let lastLog = started;
  for (;;) {
    const row = await taskRow(database, id);
    const now = performance.now() - started;
    if (!active(row)) return { seen, endedMs: now, row };
    if (now > timeoutMs) throw new Error(`the task did not end within ${timeoutMs / 1000} s: ${JSON.stringify(row)}`);
    if (row.stage && !seen.has(row.stage)) seen.set(row.stage, now);
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      log(`  ${row.stage}: ${row.records_evaluated}/${row.records_total} records evaluated`);
    }
    await delay(200);
  }
}

/**
 * One task of a million records (1 dimension): a first one is cancelled in the middle of its
 * evaluation (how long DELETE takes), then a second runs to its end (time per stage, GET latency).
 */
async function run({ services, size, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const records = size('records', 1_000_000, 20_000);
  const sources = Math.ceil(records / RECORDS_PER_SOURCE);
  const shape = { sources, records: Math.ceil(records / sources), dimensions: 1 };
  const latencyMs = 50;
  const llmMaxConcurrency = 1000;
  const workerConcurrency = 100;
  // One task alone scores at most QUEUE_CHUNK_WINDOW × this many records at once (README, Scaling).
  const recordConcurrency = size('record-concurrency', 8, 8);
  const bench = await BenchSystem.start(services, {
    env: {
      SIM_LLM_LATENCY_MIN_MS: String(latencyMs),
      SIM_LLM_LATENCY_MAX_MS: String(latencyMs),
      LLM_MAX_CONCURRENCY: String(llmMaxConcurrency),
      WORKER_CONCURRENCY: String(workerConcurrency),
      EVALUATE_RECORD_CONCURRENCY: String(recordConcurrency),
    },
  });
  try {
    const monitor = await bench.monitor();
    const taskUrl = (id: string): string => `${bench.baseUrl}/api/v1/tasks/${id}`;

    // The task to cancel: once its evaluation has done 1 % (all its chunks are queued by then).
    const [doomed] = await submitTasks(bench.baseUrl, 1, 1, (index) => taskBody(index, shape));
    // Generous: collection stores every record, and the machine may be shared.
    const timeoutMs = 300_000 + records * 5;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const row = await taskRow(services.database, doomed);
      if (!active(row)) throw new Error(`the task to cancel ended before its evaluation (${row.status})`);
      if (performance.now() > deadline)
        throw new Error(
          `the task to cancel did not reach 1 % of its evaluation within ${timeoutMs / 1000} s: ${JSON.stringify(row)}`,
        );
      if (row.stage === 'evaluate' && row.records_evaluated >= row.records_total / 100) break;
      await delay(200);
    }
    const cancelStarted = performance.now();
    const cancelled = await fetch(taskUrl(doomed), { method: 'DELETE' });
    await cancelled.arrayBuffer();
    const cancelMs = performance.now() - cancelStarted;
    if (cancelled.status !== 200) throw new Error(`DELETE answered ${cancelled.status}`);
    log(`  cancelled in the middle of evaluation in ${Math.round(cancelMs)} ms`);
    const callsBefore = providerCalls(await bench.llmCalls());

    // The task that runs to its end; the source ids differ from the cancelled one's, so no cache hits.
    const [id] = await submitTasks(bench.baseUrl, 1, 1, () => taskBody(1, shape));
    const probe = new LatencyProbe(5).target(taskUrl(id)).start();
    const { seen, endedMs, row } = await followStages(services.database, id, timeoutMs * 4, log);
    const during = await probe.stop();
    const finished: number[] = [];
    for (let index = 0; index < FINISHED_GETS; index += 1) {
      const started = performance.now();
      await (await fetch(taskUrl(id))).arrayBuffer();
      finished.push(performance.now() - started);
    }
    const usage = await monitor.stop();
    const calls = providerCalls(await bench.llmCalls()) - callsBefore;

    const at = (stage: string): number => seen.get(stage) ?? endedMs;
    const evaluateS = (at('generate') - at('evaluate')) / 1000;
    return {
      parameters: {
        records: shape.sources * shape.records,
        sources: shape.sources,
        dimensions: 1,
        'LLM latency ms': latencyMs,
        LLM_MAX_CONCURRENCY: llmMaxConcurrency,
        WORKER_CONCURRENCY: workerConcurrency,
        EVALUATE_RECORD_CONCURRENCY: recordConcurrency,
      },
      figures: [
        { name: 'status', value: row.status, target: 'completed', met: row.status === 'completed' },
        { name: 'stage collect', value: round(at('evaluate') / 1000, 1), unit: 's' },
        { name: 'stage evaluate', value: round(evaluateS, 1), unit: 's' },
        { name: 'stage generate', value: round((endedMs - at('generate')) / 1000, 1), unit: 's' },
        { name: 'LLM calls/s during evaluate', value: round(calls / Math.max(0.001, evaluateS), 0) },
        ...peakRssFigures(usage, 300),
        atMost(
          { name: 'cancel (DELETE) in the middle of evaluation', value: round(cancelMs, 0), unit: 'ms' },
          1000,
          '< 1 s (today 5.1 s at 100,000 records)',
        ),
        { name: 'GET of the task while it runs, p99', value: round(during.p99, 1), unit: 'ms' },
        atMost(
          {
            name: `GET of the finished task, p99 of ${FINISHED_GETS}`,
            value: round(percentile(finished, 99), 1),
            unit: 'ms',
          },
          50,
          '< 50 ms',
        ),
      ],
      usage: { 'both tasks': usage },
      notes: [
        "Peak RSS is each process's VmHWM over the scenario (the cancelled task and the completed one).",
        `GETs while running: ${during.count} (${during.errors} failed), p50 ${round(during.p50, 1)} ms.`,
      ],
    };
  } finally {
    await bench.stop();
  }
}

export const bigTask: Scenario = {
  name: 'big-task',
  title: 'one task of 1,000,000 records: time per stage, peak RSS, cancel latency, GET latency',
  takes: { full: '15–40 min', quick: '2 min' },
  run,
};
