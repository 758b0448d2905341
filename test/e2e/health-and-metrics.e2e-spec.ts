import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXAMPLE_TASK } from '@app/contracts';
import { testDatabaseSettings } from '../support/database';
import { TcpProxy } from './support/tcp-proxy';
import type { AppName } from './support/test-system';
import { delay, TestSystem } from './support/test-system';

const WORKER_QUEUES: Record<Exclude<AppName, 'gateway'>, string> = {
  collector: 'collect',
  evaluator: 'evaluate',
  'result-generator': 'generate',
};

async function get(url: string): Promise<{ status: number; type: string | null; text: string; json: any }> {
  const response = await fetch(url);
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, type: response.headers.get('content-type'), text, json };
}

/** The value of the sample of `name` whose labels are exactly `labels` (in any order), from Prometheus text. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(',');
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (match?.[1] === name && match[2].split(',').sort().join(',') === wanted) return Number(match[3]);
  }
  return undefined;
}

describe('probes, metrics and structured logs of every app', () => {
  let system: TestSystem;

  beforeAll(async () => {
    system = await TestSystem.start();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 30_000);

  it('serves liveness, readiness (Postgres, Redis, its own queue, broadcasts) and metrics on each worker', async () => {
    const id = await system.submit(EXAMPLE_TASK);
    expect((await system.waitForEnd(id, 30_000)).status).toBe('completed');

    for (const [app, queue] of Object.entries(WORKER_QUEUES) as [Exclude<AppName, 'gateway'>, string][]) {
      const url = system.replicas(app)[0].healthUrl();

      const live = await get(`${url}/health/live`);
      expect(live.status).toBe(200);
      expect(live.json.status).toBe('ok');

      const ready = await get(`${url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.json.status).toBe('ok');
      expect(Object.keys(ready.json.details).sort()).toEqual(['broadcasts', 'postgres', `queue:${queue}`, 'redis']);
      expect(ready.json.details[`queue:${queue}`]).toMatchObject({ status: 'up', waiting: 0 });

      const metrics = await get(`${url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.type).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sample(metrics.text, 'dataproc_process_cpu_seconds_total', { app })).toBeGreaterThan(0);
      expect(sample(metrics.text, 'dataproc_queue_jobs', { queue, state: 'waiting', app })).toBe(0);
      expect(sample(metrics.text, 'dataproc_queue_jobs', { queue, state: 'completed', app })).toBeGreaterThan(0);
      // The task above ran at least one job of every stage in this, the only replica.
      expect(
        sample(metrics.text, 'dataproc_jobs_processed_total', {
          queue,
          outcome: 'completed',
          app,
        }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        sample(metrics.text, 'dataproc_job_duration_seconds_count', {
          queue,
          outcome: 'completed',
          app,
        }),
      ).toBeGreaterThanOrEqual(1);
      // Only its own queue: a worker scraped per replica would otherwise repeat the others' depths.
      expect(metrics.text).not.toMatch(new RegExp(`dataproc_queue_jobs\\{queue="(?!${queue}")`));
      expect(metrics.text).not.toContain('dataproc_tasks{');
    }
  }, 60_000);

  it('serves the same probes and metrics on the gateway, outside the API prefix, with tasks by status', async () => {
    const live = await system.request('GET', '/health/live');
    expect(live.status).toBe(200);

    const ready = await system.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.details).sort()).toEqual([
      'broadcasts',
      'postgres',
      'queue:collect',
      'queue:evaluate',
      'queue:generate',
      'redis',
    ]);

    const metrics = await system.request('GET', '/metrics');
    expect(metrics.status).toBe(200);
    const text = metrics.body as string;
    expect(sample(text, 'dataproc_tasks', { status: 'completed', app: 'gateway' })).toBeGreaterThanOrEqual(1);
    for (const status of ['pending', 'running', 'completed_with_errors', 'failed', 'cancelled']) {
      expect(sample(text, 'dataproc_tasks', { status, app: 'gateway' })).toBeGreaterThanOrEqual(0);
    }
    // Any count will do: a generate job may still be active in Bull just after its task completed.
    for (const queue of Object.values(WORKER_QUEUES)) {
      expect(sample(text, 'dataproc_queue_jobs', { queue, state: 'active', app: 'gateway' })).toBeGreaterThanOrEqual(0);
    }

    expect((await system.request('GET', '/api/v1/metrics')).status).toBe(404);
    expect((await system.request('GET', '/api/v1/health')).status).toBe(200);
  }, 30_000);

  it('passes promtool on every app, and the counters move when a task runs', async () => {
    const urls = [
      `${system.baseUrl}/metrics`,
      ...Object.keys(WORKER_QUEUES).map((app) => `${system.replicas(app as AppName)[0].healthUrl()}/metrics`),
    ];
    const scrape = (): Promise<string[]> => Promise.all(urls.map(async (url) => (await get(url)).text));
    const before = await scrape();
    const id = await system.submit(EXAMPLE_TASK);
    const task = await system.waitForEnd(id, 30_000);
    expect(task.status).toBe('completed');
    const after = await scrape();

    for (const [index, text] of after.entries()) {
      // promtool reads the exposition from stdin and names every problem (exit 0: none).
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect({ url: urls[index], status: check.status, problems: `${check.stdout}${check.stderr}` }).toEqual({
        url: urls[index],
        status: 0,
        problems: '',
      });
    }
    const [gateway, collector, evaluator, generator] = after;
    const grew = (index: number, name: string, labels: Record<string, string>): number =>
      (sample(after[index], name, labels) ?? 0) - (sample(before[index], name, labels) ?? 0);
    // Every record of the task counted once, scored or failed; its two dimension summaries asked for.
    expect(grew(2, 'dataproc_records_evaluated_total', { outcome: 'ok', app: 'evaluator' })).toBeGreaterThan(0);
    expect(
      grew(2, 'dataproc_records_evaluated_total', { outcome: 'ok', app: 'evaluator' }) +
        grew(2, 'dataproc_records_evaluated_total', { outcome: 'failed', app: 'evaluator' }),
    ).toBe(task.progress.records_evaluated + task.progress.records_failed);
    // The same task ran before in this file: its calls come from the cache now.
    const evaluatorCalls = ['ok', 'cached'].map((outcome) =>
      grew(2, 'dataproc_llm_calls_total', { outcome, app: 'evaluator' }),
    );
    expect(evaluatorCalls[0] + evaluatorCalls[1]).toBeGreaterThanOrEqual(task.progress.records_evaluated);
    expect(
      grew(3, 'dataproc_llm_calls_total', { outcome: 'ok', app: 'result-generator' }) +
        grew(3, 'dataproc_llm_calls_total', { outcome: 'cached', app: 'result-generator' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(evaluator, 'dataproc_llm_limiter_wait_seconds_count', { app: 'evaluator' })).toBeGreaterThan(0);
    expect(sample(evaluator, 'dataproc_llm_tokens_total', { kind: 'prompt', app: 'evaluator' })).toBeGreaterThan(0);
    expect(
      sample(generator, 'dataproc_llm_call_duration_seconds_count', { outcome: 'ok', app: 'result-generator' }),
    ).toBeGreaterThan(0);
    expect(sample(collector, 'dataproc_webhook_deliveries_total', { outcome: 'delivered', app: 'collector' })).toBe(0);
    expect(
      grew(0, 'dataproc_http_requests_total', { method: 'POST', route: '/api/v1/tasks', code: '202', app: 'gateway' }),
    ).toBe(1);
    expect(
      grew(0, 'dataproc_http_requests_total', {
        method: 'GET',
        route: '/api/v1/tasks/:id',
        code: '200',
        app: 'gateway',
      }),
    ).toBeGreaterThan(0);
    expect(gateway).toContain('dataproc_http_request_duration_seconds_bucket');
  }, 60_000);

  it('exports every metric the Grafana dashboard queries', async () => {
    const texts = [
      (await system.request('GET', '/metrics')).body as string,
      ...(await Promise.all(
        Object.keys(WORKER_QUEUES).map(
          async (app) => (await get(`${system.replicas(app as AppName)[0].healthUrl()}/metrics`)).text,
        ),
      )),
    ];
    const exported = new Set(
      texts.flatMap((text) => [...text.matchAll(/^(dataproc_\w+)[{ ]/gm)].map(([, name]) => name)),
    );
    const dashboard = readFileSync(join(__dirname, '../../monitoring/grafana/dashboards/dataproc.json'), 'utf8');
    const queried = new Set([...dashboard.matchAll(/\b(dataproc_\w+)/g)].map(([, name]) => name));
    expect(queried.size).toBeGreaterThan(5);
    expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
  }, 30_000);

  it('logs one JSON object per line, with request, task and job ids where they apply', async () => {
    const submitted = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK, { 'X-Request-Id': 'trace-me-42' });
    expect(submitted.status).toBe(202);
    expect(submitted.headers.get('x-request-id')).toBe('trace-me-42');
    const id = submitted.body.id as string;
    expect((await system.waitForEnd(id, 30_000)).status).toBe('completed');

    // A request without an id gets one, answered in the header and logged with its lines.
    const read = await system.request('GET', `/api/v1/tasks/${id}`);
    const generated = read.headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    // An id we would not echo (spaces, too long) is replaced instead.
    const odd = await system.request('GET', `/api/v1/tasks/${id}`, undefined, { 'X-Request-Id': 'a b' });
    expect(odd.headers.get('x-request-id')).not.toBe('a b');

    const [gateway] = system.replicas('gateway');
    const gatewayLines = gateway.logs();
    for (const line of gatewayLines) {
      expect(line).toMatchObject({ app: 'gateway', level: expect.any(String), time: expect.any(String) });
    }
    // The task's own line is written while the request is handled, so it carries both ids.
    expect(gateway.lines(/accepted/, { task_id: id })).toEqual([
      expect.objectContaining({ request_id: 'trace-me-42', level: 'info' }),
    ]);
    const completed = gatewayLines.filter((line) => line.msg === 'request completed');
    expect(completed.map((line) => line.request_id)).toEqual(expect.arrayContaining(['trace-me-42', generated]));
    expect(completed.find((line) => line.request_id === 'trace-me-42')).toMatchObject({
      req: { method: 'POST', url: '/api/v1/tasks' },
      res: { statusCode: 202 },
    });

    // Each stage's job lines carry the task, the job and the queue.
    for (const [app, queue] of [
      ['collector', 'collect'],
      ['evaluator', 'evaluate'],
      ['result-generator', 'generate'],
    ] as const) {
      const [worker] = system.replicas(app);
      const jobLines = worker.logs().filter((line) => line.task_id === id);
      expect(jobLines.length).toBeGreaterThan(0);
      for (const line of jobLines) {
        expect(line).toMatchObject({ app, queue, job_id: expect.stringMatching(new RegExp(`^${id}:${queue}`)) });
      }
      expect(jobLines.some((line) => line.event === 'done')).toBe(true);
    }
  }, 60_000);

  it('logs a stream its client left as aborted, under its request id', async () => {
    // A source slow enough that the task is still collecting when the client leaves its stream.
    const slow = {
      id: 'slow',
      type: 'api',
      url: 'https://example.test/data',
      simulation: { records: 1, latency_ms: 20_000 },
    };
    const submitted = await system.request('POST', '/api/v1/tasks', { ...EXAMPLE_TASK, data_sources: [slow] });
    expect(submitted.status).toBe(202);
    const leaving = new AbortController();
    const stream = await fetch(`${system.baseUrl}/api/v1/tasks/${submitted.body.id as string}/events`, {
      headers: { 'X-Request-Id': 'stream-left-7' },
      signal: leaving.signal,
    });
    expect(stream.status).toBe(200);
    // The task's snapshot arrives first; the client then goes before the stream ends.
    await stream.body?.getReader().read();
    leaving.abort();

    const [gateway] = system.replicas('gateway');
    const line = await gateway.waitForLine(/^request aborted$/, 10_000, { request_id: 'stream-left-7' });
    expect(line).toMatchObject({ level: 'info', req: { method: 'GET' } });
    expect(gateway.lines(/^request completed$/, { request_id: 'stream-left-7' })).toEqual([]);
    expect((await system.request('POST', `/api/v1/tasks/${submitted.body.id as string}/cancel`)).status).toBe(200);
  }, 30_000);

  it('keeps credentials out of the logs', async () => {
    await system.request('GET', '/api/v1/health', undefined, { Authorization: 'Bearer very-secret-value' });
    const [gateway] = system.replicas('gateway');
    expect(gateway.logs().length).toBeGreaterThan(0);
    expect(gateway.output.join('\n')).not.toContain('very-secret-value');
  }, 30_000);
});

describe('a worker whose Postgres goes away', () => {
  const settings = testDatabaseSettings();
  const postgres = new TcpProxy({ host: settings.DATABASE_HOST, port: settings.DATABASE_PORT });
  let system: TestSystem;

  beforeAll(async () => {
    await postgres.open();
    system = await TestSystem.start({
      replicas: { gateway: 0, evaluator: 0, 'result-generator': 0 },
      env: { DATABASE_PORT: String(postgres.port) },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await postgres.cut();
  }, 30_000);

  async function readiness(url: string, status: number): Promise<Awaited<ReturnType<typeof get>>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await get(`${url}/health/ready`);
      if (ready.status === status || Date.now() > deadline) return ready;
      await delay(250);
    }
  }

  it('is taken out of rotation (ready 503 naming Postgres) but stays live, and is ready again after', async () => {
    const url = system.replicas('collector')[0].healthUrl();
    expect((await readiness(url, 200)).status).toBe(200);

    await postgres.cut();
    const down = await readiness(url, 503);
    expect(down.status).toBe(503);
    expect(down.json.status).toBe('error');
    expect(down.json.error.postgres.status).toBe('down');
    expect(down.json.info).toMatchObject({ redis: { status: 'up' }, 'queue:collect': { status: 'up' } });
    expect((await get(`${url}/health/live`)).status).toBe(200);
    // Metrics still answer without the database.
    expect((await get(`${url}/metrics`)).status).toBe(200);

    await postgres.open();
    expect((await readiness(url, 200)).status).toBe(200);
  }, 60_000);
});
