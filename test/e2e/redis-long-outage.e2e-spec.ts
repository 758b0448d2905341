import { EXAMPLE_TASK } from '@app/contracts';
import { testDatabaseSettings } from '../support/database';
import { TcpProxy } from './support/tcp-proxy';
import type { AppProcess } from './support/test-system';
import { delay, TestSystem } from './support/test-system';

/** Nest's transport used to give up after 100 attempts; the apps retry every RECONNECT_MS. */
const RECONNECT_MS = 100;
const OLD_GIVE_UP_ATTEMPTS = 100;
/** Longer than the old give-up window at that interval, with a margin. */
const OUTAGE_MS = OLD_GIVE_UP_ATTEMPTS * RECONNECT_MS * 1.6;

/**
 * Every app reaches Redis through a proxy that the test cuts for longer than Nest's Redis transport
 * used to keep reconnecting. Afterwards, without a restart: a cancel still reaches the evaluator's job
 * in hand, and a live view still gets the broadcast progress. Readiness names the broadcast link
 * while it is down.
 */
describe('a Redis outage longer than the transport used to survive', () => {
  const settings = testDatabaseSettings();
  const redis = new TcpProxy({ host: settings.REDIS_HOST, port: settings.REDIS_PORT });
  let system: TestSystem;
  let evaluator: AppProcess;

  beforeAll(async () => {
    await redis.open();
    system = await TestSystem.start({
      env: {
        REDIS_PORT: String(redis.port),
        REDIS_RECONNECT_MAX_DELAY_MS: String(RECONNECT_MS),
        SIM_SOURCE_FAILURE_RATE: '0',
        // A chunk in hand lasts far longer than the test: only a cancel broadcast can end it.
        SIM_LLM_LATENCY_MIN_MS: '120000',
        SIM_LLM_LATENCY_MAX_MS: '120000',
        LLM_TIMEOUT_MS: '300000',
        LOG_LEVEL: 'debug',
        // Tasks left running in the shared test database by other runs are not this test's to adopt:
        // with the minutes-long LLM calls above they would fill the evaluator's slots.
        RECOVERY_STALE_AFTER_MS: '86400000',
      },
    });
    [evaluator] = system.replicas('evaluator');
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await redis.cut();
  }, 60_000);

  async function readiness(url: string, status: number): Promise<any> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const response = await fetch(url);
      const body = await response.json();
      if (response.status === status || Date.now() > deadline) return { status: response.status, body };
      await delay(200);
    }
  }

  it('reconnects every broadcast link, then cancels a job in hand and feeds a live view', async () => {
    const evaluatorReady = `${evaluator.healthUrl()}/health/ready`;
    expect((await readiness(evaluatorReady, 200)).body.info.broadcasts.status).toBe('up');

    await redis.cut();
    const down = await readiness(evaluatorReady, 503);
    expect(down.body.error.broadcasts).toEqual({ status: 'down', message: expect.stringMatching(/listener/) });
    await delay(OUTAGE_MS);
    await redis.open();

    for (const url of [`${system.baseUrl}/health/ready`, evaluatorReady]) {
      const ready = await readiness(url, 200);
      expect(ready.status).toBe(200);
      expect(ready.body.info.broadcasts.status).toBe('up');
    }
    for (const app of system.apps) expect(app.lines(/Retry time exhausted|No further reconnection/)).toEqual([]);

    const id = await system.submit(EXAMPLE_TASK);
    await system.waitForTask(id, (task) => task.stage === 'evaluate', 30_000);
    await evaluator.waitForLine(new RegExp(`${id}:evaluate:\\d+ \\(attempt 1\\) started`), 30_000);

    const live = await fetch(`${system.baseUrl}/api/v1/tasks/${id}/events`);
    const reader = live.body!.getReader();
    const cancelled = await system.request('DELETE', `/api/v1/tasks/${id}`);
    expect(cancelled.status).toBe(200);

    // The job in hand would take minutes: its end within seconds is the broadcast's doing.
    await evaluator.waitForLine(new RegExp(`${id}:evaluate:\\d+ stopped: task cancelled`), 15_000);
    let stream = '';
    while (!/"status":"cancelled"/.test(stream.split('event: progress')[1] ?? '')) {
      const { value, done } = await reader.read();
      if (done) break;
      stream += Buffer.from(value).toString();
    }
    await reader.cancel();
    expect(stream).toMatch(/event: progress\s*\n(?:.*\n)*?data: .*"status":"cancelled"/);
  }, 150_000);
});
