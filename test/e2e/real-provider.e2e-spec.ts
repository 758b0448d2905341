import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { assertResultMatches, expectedRecords } from './support/expected-result';
import { startLlmSimulator, TestSystem } from './support/test-system';

const SEED = 42;
const KEY = 'sk-e2e-issue8';
const OUTAGE_SECONDS = 20;
const dimension = { id: 'quality', name: 'Quality', threshold: 0.5 };

/** A task of `records` simulated records on one source. */
function simulatedTask(sourceId: string, records: number, dimensions = [dimension]): CreateTaskDto {
  return {
    data_sources: [
      { id: sourceId, type: DataSourceType.API, url: 'https://example.test', simulation: { records, failure_rate: 0 } },
    ],
    llm_config: { model: 'gpt-4o-mini', temperature: 0 },
    dimensions,
  };
}

/**
 * The four apps with LLM_PROVIDER=openai against apps/llm-simulator over HTTP: the real client path
 * (the official SDK, its retries off) on real HTTP, with a provider whose request limit is below the
 * service's own, so its 429s (retry-after and x-ratelimit-* headers) have to be absorbed; then a
 * provider outage in the middle of a task, and a revoked key.
 */
describe('an OpenAI-compatible provider over HTTP (four apps and the LLM simulator as processes)', () => {
  let system: TestSystem;
  let simulator: Awaited<ReturnType<typeof startLlmSimulator>>;

  beforeAll(async () => {
    simulator = await startLlmSimulator({
      SIMULATION_SEED: String(SEED),
      SIM_LLM_API_KEY: KEY,
      SIM_LLM_LATENCY_MIN_MS: '5',
      SIM_LLM_LATENCY_MAX_MS: '20',
      // 40 requests a second, against a service limiter that allows 100.
      SIM_LLM_RPM: '40',
      SIM_LLM_WINDOW_MS: '1000',
    });
    system = await TestSystem.start({
      env: {
        SIMULATION_SEED: String(SEED),
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: simulator.apiUrl,
        LLM_API_KEY: KEY,
        LLM_RATE_LIMIT_RPM: '6000',
        LLM_TIMEOUT_MS: '5000',
        LLM_BACKOFF_BASE_MS: '100',
        LLM_BACKOFF_MAX_MS: '2000',
        // No worker is killed here, and the bill below matches the task's usage only if no job is
        // taken over: the tests' 3 s job lock can lapse on a loaded machine (a taken-over chunk is
        // stored once, but its calls in flight were made twice), so this file keeps the default.
        QUEUE_LOCK_DURATION_MS: '30000',
        QUEUE_STALLED_INTERVAL_MS: '15000',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    if (simulator) {
      simulator.app.kill('SIGTERM');
      await simulator.app.exited;
    }
  }, 30_000);

  const stats = (): Promise<{
    rate_limited: number;
    outage_answers: number;
    unauthorized: number;
    completed: number;
    prompt_tokens: number;
    completion_tokens: number;
  }> => simulator.admin('GET', '/admin/stats');

  it("scores every record through the HTTP API, the provider's 429s absorbed, to the exact result", async () => {
    const spec = simulatedTask('http1', 150, [dimension, { id: 'relevance', name: 'Relevance', threshold: 0.5 }]);
    const before = await simulator.admin('GET', '/admin/stats');
    const startedAt = Date.now();
    const task = await system.waitForEnd(await system.submit(spec), 120_000);
    const after = await simulator.admin('GET', '/admin/stats');
    const rateLimited = after.rate_limited - before.rate_limited;
    process.stdout.write(
      `provider over HTTP: ${task.status} in ${Date.now() - startedAt} ms, ${after.completed - before.completed} calls ` +
        `answered, ${rateLimited} 429s absorbed, ${task.progress.records_failed} records failed\n`,
    );
    expect(task.status).toBe('completed');
    expect(task.progress).toMatchObject({ records_evaluated: 150, records_failed: 0 });
    expect(rateLimited).toBeGreaterThan(0);
    assertResultMatches(spec, await system.fullResult(task.id), await expectedRecords(spec, SEED, 0));
    // Usage as the provider billed it: one call per record and dimension, and one summary per dimension.
    expect(task.usage).toMatchObject({
      calls: 302,
      cache_hits: 0,
      prompt_tokens: after.prompt_tokens - before.prompt_tokens,
      completion_tokens: after.completion_tokens - before.completion_tokens,
    });
    expect(task.usage.dimensions.map((entry: { dimension_id: string; calls: number }) => entry.calls)).toEqual([
      151, 151,
    ]);
    expect(task.result.usage).toEqual(task.usage);
  }, 150_000);

  it("fails a task fast, with the provider's answer, when the key is refused", async () => {
    await simulator.admin('POST', '/admin/api-key', { key: 'sk-rotated' });
    try {
      const before = await stats();
      const startedAt = Date.now();
      const task = await system.waitForEnd(await system.submit(simulatedTask('badkey', 5)), 30_000);
      const elapsed = Date.now() - startedAt;
      const refused = (await stats()).unauthorized - before.unauthorized;
      process.stdout.write(
        `bad key: ${task.status} ${elapsed} ms after submission, ${refused} calls refused (none retried): ${task.error}\n`,
      );
      expect(task.status).toBe('failed');
      expect(task.error).toMatch(/^provider answered 401: Incorrect API key provided/);
      // Each record was tried at most once: a refused key is not retried.
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(5);
    } finally {
      await simulator.admin('POST', '/admin/api-key', { key: KEY });
    }
  }, 60_000);

  it(`waits out a ${OUTAGE_SECONDS} s outage of the provider mid-task and completes with no record failed`, async () => {
    const spec = simulatedTask('outage', 600);
    const before = await stats();
    const startedAt = Date.now();
    const id = await system.submit(spec);
    await system.waitForTask(id, (task) => task.progress.records_evaluated >= 100, 60_000);
    await simulator.admin('POST', '/admin/outage', { seconds: OUTAGE_SECONDS });
    // The longest stretch without progress is the time the task waited for the provider.
    let longestWaitMs = 0;
    let last = { at: Date.now(), evaluated: -1 };
    const task = await system.waitForTask(
      id,
      (current) => {
        if (current.progress.records_evaluated !== last.evaluated) {
          longestWaitMs = Math.max(longestWaitMs, Date.now() - last.at);
          last = { at: Date.now(), evaluated: current.progress.records_evaluated };
        }
        return !['pending', 'running'].includes(current.status);
      },
      150_000,
    );
    const after = await stats();
    process.stdout.write(
      `outage of ${OUTAGE_SECONDS} s mid-task: ${task.status} in ${Date.now() - startedAt} ms wall time; ` +
        `${after.outage_answers - before.outage_answers} calls answered 503 during the outage, ` +
        `${after.rate_limited - before.rate_limited} 429s, longest wait without progress ${longestWaitMs} ms, ` +
        `${task.progress.records_evaluated} records evaluated, ${task.progress.records_failed} failed\n`,
    );
    expect(task.status).toBe('completed');
    expect(task.errors).toEqual([]);
    expect(task.progress).toMatchObject({ records_total: 600, records_evaluated: 600, records_failed: 0 });
    expect(after.outage_answers - before.outage_answers).toBeGreaterThan(0);
    assertResultMatches(spec, await system.fullResult(task.id), await expectedRecords(spec, SEED, 0));
    const [evaluator] = system.replicas('evaluator');
    expect(evaluator.lines(/provider unavailable for/).length).toBeGreaterThan(0);
  }, 200_000);
});
