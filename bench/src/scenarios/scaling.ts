import type { Scenario, ScenarioContext, ScenarioOutcome } from '../scenario';
import type { Usage } from '../support/monitor';
import type { Figure } from '../support/report';
import { atLeast, round } from '../support/report';
import { submitTasks, taskBody, waitForTasks } from '../support/load';
import { BenchSystem } from '../support/system';

const REPLICAS = [1, 2, 4];
/** Calls one replica has in flight: with the latency below, a replica is bound by the LLM, not by CPU. */
const LLM_CONCURRENCY = 8;
const LLM_LATENCY_MS = 200;
const RECORDS_PER_TASK = 500;

/** Evaluated records per second, from the first record's evaluation to the last one's (Postgres's clock). */
async function evaluationRate({ services }: ScenarioContext): Promise<number> {
  const [row] = await services.database.query<{ records: number; seconds: number }>(
    `SELECT count(*)::int AS records, extract(epoch FROM max(evaluated_at) - min(evaluated_at))::float AS seconds
       FROM task_records WHERE evaluated_at IS NOT NULL`,
  );
  return row.records / Math.max(0.001, row.seconds);
}

/** The same evaluation work with 1, 2 and 4 evaluator replicas, each limited to a few calls in flight. */
async function run(context: ScenarioContext): Promise<ScenarioOutcome> {
  const { services, size, log } = context;
  const records = size('records', 4000, 1200);
  const tasks = Math.max(1, Math.round(records / RECORDS_PER_TASK));
  const rates = new Map<number, number>();
  const usage: Record<string, Usage> = {};
  for (const replicas of REPLICAS) {
    await services.database.reset();
    await services.redis.flush();
    const bench = await BenchSystem.start(services, {
      replicas: { evaluator: replicas },
      env: {
        SIM_LLM_LATENCY_MIN_MS: String(LLM_LATENCY_MS),
        SIM_LLM_LATENCY_MAX_MS: String(LLM_LATENCY_MS),
        LLM_MAX_CONCURRENCY: String(LLM_CONCURRENCY),
      },
    });
    try {
      const monitor = await bench.monitor();
      await submitTasks(bench.baseUrl, tasks, 4, (index) =>
        taskBody(index, { sources: 1, records: RECORDS_PER_TASK, dimensions: 1 }),
      );
      await waitForTasks(services.database, tasks, 1_800_000, log);
      usage[`${replicas} evaluator${replicas > 1 ? 's' : ''}`] = await monitor.stop();
      rates.set(replicas, await evaluationRate(context));
      log(`  ${replicas} evaluator(s): ${Math.round(rates.get(replicas) ?? 0)} records/s`);
    } finally {
      await bench.stop();
    }
  }
  const one = rates.get(1) ?? 0;
  const figures: Figure[] = REPLICAS.map((replicas) => ({
    name: `records evaluated/s with ${replicas} evaluator${replicas > 1 ? 's' : ''}`,
    value: round(rates.get(replicas) ?? 0, 1),
    reference: replicas === 1 ? undefined : { label: '1 evaluator', value: round(one, 1) },
  }));
  figures.push(atLeast({ name: '2 evaluators ÷ 1', value: round((rates.get(2) ?? 0) / one, 2) }, 1.8, '≥ 1.8'), {
    name: '4 evaluators ÷ 1',
    value: round((rates.get(4) ?? 0) / one, 2),
    target: 'ideal 4',
  });
  return {
    parameters: {
      records: tasks * RECORDS_PER_TASK,
      tasks,
      'LLM latency ms': LLM_LATENCY_MS,
      'LLM_MAX_CONCURRENCY per replica': LLM_CONCURRENCY,
      'bound per replica (calls/s)': (LLM_CONCURRENCY * 1000) / LLM_LATENCY_MS,
    },
    figures,
    usage,
    notes: ['Each replica count runs on freshly started apps and an emptied database and Redis.'],
  };
}

export const scaling: Scenario = {
  name: 'scaling',
  title: 'evaluator replicas 1 vs 2 vs 4 when LLM-latency-bound',
  takes: { full: '4 min', quick: '2 min' },
  run,
};
