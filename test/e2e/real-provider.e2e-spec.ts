import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { assertResultMatches, expectedRecords } from './support/expected-result';
import { startLlmSimulator, TestSystem } from './support/test-system';

const SEED = 42;
const KEY = 'sk-e2e-issue8';

/**
 * The four apps with LLM_PROVIDER=openai against apps/llm-simulator over HTTP: the real client path
 * (the official SDK, its retries off) on real HTTP, with a provider whose request limit is below the
 * service's own, so its 429s (retry-after and x-ratelimit-* headers) have to be absorbed.
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
        LLM_MAX_ATTEMPTS: '20',
        LLM_BACKOFF_BASE_MS: '100',
        LLM_BACKOFF_MAX_MS: '2000',
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

  it("scores every record through the HTTP API, the provider's 429s absorbed, to the exact result", async () => {
    const spec: CreateTaskDto = {
      data_sources: [
        {
          id: 'http1',
          type: DataSourceType.API,
          url: 'https://example.test',
          simulation: { records: 150, failure_rate: 0 },
        },
      ],
      llm_config: { model: 'gpt-4o-mini', temperature: 0 },
      dimensions: [
        { id: 'quality', name: 'Quality', threshold: 0.5 },
        { id: 'relevance', name: 'Relevance', threshold: 0.5 },
      ],
    };
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
    assertResultMatches(spec, task.result, await expectedRecords(spec, SEED, 0));
  }, 150_000);
});
