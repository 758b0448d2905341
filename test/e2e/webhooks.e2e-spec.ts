import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, EXAMPLE_TASK } from '@app/contracts';
import { openTestDataSource } from '../support/database';
import { bodyOf, HttpTestServer } from '../support/http-test-server';
import { delay, TestSystem } from './support/test-system';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Webhooks end to end: notifications of ended tasks and batches, and webhook exports, sent by the
 * result-generator through the outbound guard. The receiver listens on 127.0.0.1, which
 * OUTBOUND_ALLOWED_HOSTS allows; a second listener on 127.0.0.2, not allowed, counts what reaches it
 * (nothing may).
 */
describe('webhooks: signed notifications of task and batch ends, retried; exports; the outbound guard', () => {
  const run = randomBytes(4).toString('hex');
  const SECRET = `secret-of-${run}-for-hmac`;
  let system: TestSystem;
  let db: DataSource;
  const received: Received[] = [];
  let failuresLeft = 2;
  const receiver = new HttpTestServer({
    '/hook': (request, response) =>
      void bodyOf(request).then((body) => {
        received.push({ path: '/hook', headers: request.headers, body });
        response.writeHead(200).end('ok');
      }),
    // Fails twice with 503, then takes the event.
    '/flaky': (request, response) =>
      void bodyOf(request).then((body) => {
        received.push({ path: '/flaky', headers: request.headers, body });
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          response.writeHead(503).end('try later');
        } else response.writeHead(204).end();
      }),
    '/export': (request, response) =>
      void bodyOf(request).then((body) => {
        received.push({ path: '/export', headers: request.headers, body });
        response.writeHead(202).end();
      }),
  });
  const forbidden = new HttpTestServer({});

  const task = (extra: Partial<CreateTaskDto> = {}): CreateTaskDto => ({
    ...EXAMPLE_TASK,
    labels: { run },
    ...extra,
  });
  const notify = (path: string, base = receiver.base) => ({ webhook: { url: `${base}${path}`, secret: SECRET } });
  const events = (path: string) => received.filter((entry) => entry.path === path);

  /** The task (or batch) once its notification has reached a final state. */
  async function settled(path: string): Promise<any> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await system.request('GET', `/api/v1${path}`);
      const state = answer.body?.notification?.status as string | undefined;
      if (state === 'delivered' || state === 'failed') return answer.body;
      if (Date.now() > deadline)
        throw new Error(`${path}: notification still ${state}: ${JSON.stringify(answer.body)}`);
      await delay(100);
    }
  }

  function expectSigned(entry: Received): any {
    const expected = `sha256=${createHmac('sha256', SECRET).update(entry.body).digest('hex')}`;
    expect(entry.headers['x-signature']).toBe(expected);
    expect(entry.headers['content-type']).toBe('application/json');
    return JSON.parse(entry.body);
  }

  beforeAll(async () => {
    await receiver.start('127.0.0.1');
    await forbidden.start('127.0.0.2');
    system = await TestSystem.start({
      env: {
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        NOTIFY_BACKOFF_BASE_MS: '200',
        NOTIFY_BACKOFF_MAX_MS: '1000',
        DELIVERY_POLL_INTERVAL_MS: '100',
      },
    });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.query(`DELETE FROM tasks WHERE labels ->> 'run' = $1`, [run]);
    await db?.destroy();
    await receiver.stop();
    await forbidden.stop();
  }, 30_000);

  it('tells the webhook of a completed task: the summary, signed, with the event id; GET shows it delivered', async () => {
    const id = await system.submit(task({ notify: notify('/hook') }));
    const view = await settled(`/tasks/${id}`);
    const [event] = events('/hook').filter((entry) => entry.body.includes(id));
    const body = expectSigned(event);
    expect(body).toMatchObject({ event: 'task.completed', id, status: view.status, progress: view.progress });
    expect(body).not.toHaveProperty('request');
    expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(event.headers['x-event-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.notification).toMatchObject({
      event: 'task.completed',
      url: `${receiver.base}/hook`,
      status: 'delivered',
      attempts: 1,
      last_status: 200,
      last_error: null,
      delivered_at: expect.any(String),
    });
    // The secret is never shown back.
    expect(view.request.notify.webhook.secret).toBe('(hidden)');
  }, 60_000);

  it('retries a receiver that fails twice with backoff, under the same event id, and delivers on the third', async () => {
    const id = await system.submit(task({ notify: notify('/flaky') }));
    const view = await settled(`/tasks/${id}`);
    const attempts = events('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((entry) => entry.headers['x-event-id'])).size).toBe(1);
    for (const entry of attempts) expect(expectSigned(entry)).toMatchObject({ event: 'task.completed', id });
    expect(view.notification).toMatchObject({ status: 'delivered', attempts: 3, last_status: 204, last_error: null });
  }, 60_000);

  it('tells of a failed and of a cancelled task', async () => {
    const failed = await system.submit(
      task({
        data_sources: [{ id: 'down', type: DataSourceType.API, url: 'x', simulation: { failure_rate: 1 } }],
        notify: notify('/hook'),
      }),
    );
    const cancelled = await system.submit(
      task({
        data_sources: [
          { id: 'big', type: DataSourceType.API, url: 'x', simulation: { records: 3000, latency_ms: 10 } },
        ],
        notify: notify('/hook'),
      }),
    );
    expect((await system.request('POST', `/api/v1/tasks/${cancelled}/cancel`)).status).toBe(200);
    for (const [id, event, status] of [
      [failed, 'task.failed', 'failed'],
      [cancelled, 'task.cancelled', 'cancelled'],
    ]) {
      const view = await settled(`/tasks/${id}`);
      expect(view.notification).toMatchObject({ event, status: 'delivered' });
      const bodies = events('/hook')
        .map(expectSigned)
        .filter((body) => body.id === id);
      expect(bodies).toEqual([expect.objectContaining({ event, status })]);
    }
  }, 90_000);

  it('tells of a batch once, when its last task has ended, with its aggregate', async () => {
    const accepted = await system.request('POST', '/api/v1/batches', {
      tasks: [task(), task(), task({ priority: 'low' as CreateTaskDto['priority'] })],
      notify: notify('/hook'),
    });
    expect(accepted.status).toBe(202);
    const batch = await settled(`/batches/${accepted.body.id}`);
    expect(batch).toMatchObject({ done: true, total: 3 });
    const bodies = events('/hook')
      .map(expectSigned)
      .filter((body) => body.event === 'batch.completed' && body.id === accepted.body.id);
    expect(bodies).toEqual([
      expect.objectContaining({ total: 3, done: true, counts: expect.objectContaining({ total: 3 }) }),
    ]);
    expect(batch.notification).toMatchObject({ event: 'batch.completed', status: 'delivered', attempts: 1 });
  }, 90_000);

  it('streams a webhook export to an allowed host, and sends nothing at all to a host outside the allow-list', async () => {
    const id = await system.submit(
      task({
        outputs: [
          { type: 'export', format: 'ndjson', to: 'webhook', url: `${receiver.base}/export` },
          { type: 'export', format: 'csv', to: 'webhook', url: `${forbidden.base}/export` },
        ],
        notify: notify('/hook', forbidden.base),
      }),
    );
    const view = await settled(`/tasks/${id}`);
    expect(view.notification).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status: null,
      last_error: expect.stringContaining('refused to connect to loopback address 127.0.0.2'),
    });
    const deadline = Date.now() + 30_000;
    let outputs = view.outputs;
    while (outputs.some((output: { status: string }) => !['delivered', 'failed'].includes(output.status))) {
      if (Date.now() > deadline) throw new Error(`outputs not settled: ${JSON.stringify(outputs)}`);
      await delay(100);
      outputs = (await system.task(id)).outputs;
    }
    expect(outputs).toEqual([
      expect.objectContaining({ output: 0, status: 'delivered' }),
      expect.objectContaining({
        output: 1,
        status: 'failed',
        last_error: expect.stringContaining('refused to connect to loopback address 127.0.0.2'),
      }),
    ]);
    const [exported] = events('/export');
    expect(exported.headers['transfer-encoding']).toBe('chunked');
    const lines = exported.body.trim().split('\n');
    expect(lines).toHaveLength((await system.task(id)).progress.records_total);
    expect(forbidden.hits).toEqual([]);
  }, 90_000);

  it('refuses a notify without a proper URL or secret at submission, naming the field', async () => {
    const answer = await system.request(
      'POST',
      '/api/v1/tasks',
      task({ notify: { webhook: { url: 'ftp://x.test/h', secret: 'short' } } }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.fields.map((field: { field: string }) => field.field).sort()).toEqual([
      'notify.webhook.secret',
      'notify.webhook.url',
    ]);
  }, 30_000);
});
