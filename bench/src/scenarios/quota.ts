import type { Scenario, ScenarioContext, ScenarioOutcome } from '../scenario';
import { delay, submitTasks, taskBody } from '../support/load';
import { atLeast, atMost, round } from '../support/report';
import { BenchSystem } from '../support/system';

const KEY = 'sk-bench';
/** The simulator counts its limit in fixed windows this long (a real provider's minute, shortened). */
const WINDOW_MS = 10_000;
const EVALUATORS = 3;

interface SimulatorStats {
  requests: number;
  completed: number;
  rate_limited: number;
}

/**
 * A provider limit R per minute enforced by the HTTP simulator (429 with retry-after above it), and
 * three evaluator replicas told the same R: how much of R they use, and how many calls get a 429.
 */
async function run({ services, size, log }: ScenarioContext): Promise<ScenarioOutcome> {
  const perMinute = size('rpm', 1200, 1200);
  const measureS = size('seconds', 180, 60);
  const warmUpS = 15;
  const simulator = await BenchSystem.llmSimulator({
    SIM_LLM_API_KEY: KEY,
    SIM_LLM_LATENCY_MIN_MS: '50',
    SIM_LLM_LATENCY_MAX_MS: '100',
    SIM_LLM_RPM: String(Math.round((perMinute * WINDOW_MS) / 60_000)),
    SIM_LLM_WINDOW_MS: String(WINDOW_MS),
  });
  const admin = (): Promise<SimulatorStats> => simulator.admin('GET', '/admin/stats') as Promise<SimulatorStats>;
  try {
    const bench = await BenchSystem.start(services, {
      replicas: { evaluator: EVALUATORS },
      env: {
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: simulator.apiUrl,
        LLM_API_KEY: KEY,
        LLM_RATE_LIMIT_RPM: String(perMinute),
        LLM_MAX_ATTEMPTS: '20',
      },
    });
    bench.watch('llm-simulator', simulator.app.pid);
    try {
      // Half again the calls the window can take, so demand never runs out while it is measured.
      const needed = Math.ceil(((perMinute / 60) * (warmUpS + measureS) * 1.5) / 500);
      const monitor = await bench.monitor();
      await submitTasks(bench.baseUrl, needed, 4, (index) =>
        taskBody(index, { sources: 1, records: 500, dimensions: 1 }),
      );
      await delay(warmUpS * 1000);
      const before = await admin();
      const started = performance.now();
      log(`  measuring ${measureS} s of calls against R = ${perMinute}/min`);
      await delay(measureS * 1000);
      const after = await admin();
      const seconds = (performance.now() - started) / 1000;
      const usage = await monitor.stop();
      const [left] = await services.database.query<{ left: number }>(
        "SELECT coalesce(sum(records_total - records_evaluated - records_failed), 0)::int AS left FROM tasks WHERE status = 'running'",
      );
      const completed = after.completed - before.completed;
      const requests = after.requests - before.requests;
      const limited = after.rate_limited - before.rate_limited;
      const usedPerMinute = (completed / seconds) * 60;
      return {
        parameters: {
          'R (calls/min)': perMinute,
          'provider window s': WINDOW_MS / 1000,
          'evaluator replicas': EVALUATORS,
          'measured s': round(seconds, 0),
        },
        figures: [
          atLeast(
            {
              name: 'calls answered per minute',
              value: round(usedPerMinute, 0),
              reference: { label: 'R, the provider limit', value: perMinute },
            },
            0.95 * perMinute,
            '≥ 95 % of R',
          ),
          atLeast(
            { name: 'share of R used', value: round((usedPerMinute / perMinute) * 100, 1), unit: '%' },
            95,
            '≥ 95 %',
          ),
          atMost(
            {
              name: 'calls answered 429',
              value: round((limited / Math.max(1, requests)) * 100, 2),
              unit: '%',
              reference: { label: 'calls sent', value: requests, unit: '' },
            },
            1,
            '< 1 %',
          ),
        ],
        usage: { measured: usage },
        notes: [
          `Records still to evaluate when the window closed: ${left.left} (more than 0: demand never ran out).`,
          'The service limiter is set to R itself (LLM_RATE_LIMIT_RPM = R), the strictest reading of "use the quota".',
        ],
      };
    } finally {
      await bench.stop();
    }
  } finally {
    simulator.app.kill('SIGTERM');
    await simulator.app.exited;
  }
}

export const quota: Scenario = {
  name: 'quota',
  title: "a provider limit R (the HTTP simulator's 429s) shared by 3 evaluator replicas",
  takes: { full: '4 min', quick: '2 min' },
  run,
};
