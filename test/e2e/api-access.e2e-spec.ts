import { createHash } from 'node:crypto';
import { EXAMPLE_TASK, QueueName } from '@app/contracts';
import { deleteTasks, openTestDataSource } from '../support/database';
import { freePort, TestSystem } from './support/test-system';

const ALICE = 'alice-secret-1';
const BOB = 'bob-secret-22';
const ROOT = 'root-secret-3';
const CAROL = 'carol-secret-4';
const RATE_LIMIT = 12;

const as = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

/** The gateway alone (tasks stay pending, so they count as active), with four keys and the admin login. */
describe('gateway access: API keys (authentication, ownership, rate limit, active-task cap) and the queue dashboard', () => {
  let system: TestSystem;
  const submitted: string[] = [];

  async function submit(headers: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK, headers);
    if (response.status === 202) submitted.push(response.body.id as string);
    return response;
  }

  beforeAll(async () => {
    system = await TestSystem.start({
      replicas: { collector: 0, evaluator: 0, 'result-generator': 0 },
      env: {
        // Bob's key is configured by its digest only.
        API_KEYS: `alice:${ALICE},bob:${createHash('sha256').update(BOB).digest('hex')},root:${ROOT},carol:${CAROL}`,
        ADMIN_API_KEYS: 'root',
        RATE_LIMIT_MAX: String(RATE_LIMIT),
        RATE_LIMIT_WINDOW_MS: '60000',
        MAX_ACTIVE_TASKS_PER_KEY: '2',
        ADMIN_USER: 'ops',
        ADMIN_PASSWORD: 'dashboard-pass-1',
        ADMIN_READ_ONLY: 'true',
      },
    });
  }, 90_000);

  afterAll(async () => {
    // No worker runs here: remove what was submitted, so no later run's recovery sweep picks it up.
    const db = await openTestDataSource();
    await deleteTasks(db, submitted);
    await db.destroy();
    await system?.stop();
  }, 30_000);

  it('answers 401 without a key or with an unknown one, and leaves probes, metrics and docs open', async () => {
    const without = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK);
    expect(without.status).toBe(401);
    expect(without.body.message).toMatch(/API key is required/);
    expect((await system.request('GET', '/api/v1/health', undefined, as('wrong-key-123'))).status).toBe(401);
    expect((await system.request('GET', '/api/v1/health', undefined, { 'X-API-Key': 'wrong-key-123' })).status).toBe(
      401,
    );
    for (const path of ['/health/live', '/metrics', '/docs-json']) {
      expect((await system.request('GET', path)).status).toBe(200);
    }
    const [gateway] = system.replicas('gateway');
    expect(gateway.lines(/API is open/)).toEqual([]);
  }, 30_000);

  it('gives a task to the key that created it: another key gets 404, an admin key sees it', async () => {
    const created = await submit({ 'X-API-Key': ALICE });
    expect(created.status).toBe(202);
    const path = `/api/v1/tasks/${created.body.id}`;

    expect((await system.request('GET', path, undefined, as(ALICE))).status).toBe(200);
    const foreign = await system.request('GET', path, undefined, as(BOB));
    expect(foreign.status).toBe(404);
    expect(foreign.body.message).toBe(`Task ${created.body.id} not found`);
    expect((await system.request('DELETE', path, undefined, as(BOB))).status).toBe(404);
    expect((await system.request('GET', `${path}/events`, undefined, as(BOB))).status).toBe(404);
    expect((await system.request('GET', `${path}/export?format=csv`, undefined, as(BOB))).status).toBe(404);
    expect((await system.request('GET', path, undefined, as(ROOT))).status).toBe(200);
    // Still Alice's, still pending: Bob's cancel changed nothing.
    expect((await system.request('GET', path, undefined, as(ALICE))).body.status).toBe('pending');
  }, 30_000);

  it('caps the active tasks of a key with 429 and Retry-After, other keys unaffected', async () => {
    // Bob has none yet; his third active task is refused.
    for (let index = 0; index < 2; index += 1) {
      expect((await submit(as(BOB))).status).toBe(202);
    }
    const refused = await submit(as(BOB));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/2 active tasks, its cap is 2/);
    expect((await submit(as(ROOT))).status).toBe(202);
  }, 30_000);

  it('limits the requests of a key across gateway replicas with 429 and Retry-After', async () => {
    const second = await system.add('gateway', { PORT: String(await freePort()) });
    const secondUrl = `http://127.0.0.1:${(/listening on http:\/\/[^:]+:(\d+)/.exec(second.lines(/^listening/)[0].msg) ?? [])[1]}`;
    const statuses: number[] = [];
    for (let index = 0; index < RATE_LIMIT; index += 1) {
      // Alternating replicas: each sees only half of the requests, the limit counts all of them.
      const base = index % 2 === 0 ? system.baseUrl : secondUrl;
      statuses.push((await fetch(`${base}/api/v1/health`, { headers: as(CAROL) })).status);
    }
    expect(statuses).toEqual(Array(RATE_LIMIT).fill(200));
    const over = await fetch(`${secondUrl}/api/v1/health`, { headers: as(CAROL) });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await over.json()) as { message: string }).message).toMatch(/retry after/);
    // Another key has its own budget.
    expect((await fetch(`${secondUrl}/api/v1/health`, { headers: as(ROOT) })).status).toBe(200);
  }, 60_000);

  it('shows the security schemes in the OpenAPI document', async () => {
    const document = (await system.request('GET', '/docs-json')).body;
    expect(document.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(document.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
  }, 30_000);

  describe('queue dashboard (Bull Board) behind the admin login', () => {
    it('answers 401 without the login and lists every queue, read-only, with it', async () => {
      const basic = (login: string): Record<string, string> => ({
        Authorization: `Basic ${Buffer.from(login).toString('base64')}`,
      });
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        const refused = await system.request('GET', path);
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
        expect((await system.request('GET', path, undefined, basic('ops:wrong-password'))).status).toBe(401);
      }
      const page = await system.request('GET', '/admin/queues', undefined, basic('ops:dashboard-pass-1'));
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const queues = await system.request('GET', '/admin/queues/api/queues', undefined, basic('ops:dashboard-pass-1'));
      expect(queues.status).toBe(200);
      expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(
        Object.values(QueueName).sort(),
      );
      expect(queues.body.queues.every((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(true);
      // The API keys do not open the dashboard, nor the dashboard login the API.
      expect((await system.request('GET', '/admin/queues', undefined, as(ROOT))).status).toBe(401);
      expect((await system.request('GET', '/api/v1/health', undefined, basic('ops:dashboard-pass-1'))).status).toBe(
        401,
      );
    }, 30_000);
  });
});

describe('without API keys or admin login', () => {
  it('keeps the API open, the dashboard off, and says both at start', async () => {
    const system = await TestSystem.start({ replicas: { collector: 0, evaluator: 0, 'result-generator': 0 } });
    try {
      expect((await system.request('GET', '/api/v1/health')).status).toBe(200);
      const [gateway] = system.replicas('gateway');
      expect(gateway.lines(/API_KEYS is not set: the API is open/)).toEqual([
        expect.objectContaining({ level: 'warn' }),
      ]);
    } finally {
      await system.stop();
    }
  }, 60_000);
});
