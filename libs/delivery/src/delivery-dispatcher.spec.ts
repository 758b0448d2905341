import { DeliveryDispatcher } from './delivery-dispatcher';
import type { Delivery, DeliveryPolicy, DeliveryReceipt, DeliveryStore } from './delivery.types';
import { DeliveryError } from './delivery.types';

/** The store's contract in memory: due rows, one claim at a time, attempts counted on claim. */
class InMemoryDeliveryStore implements DeliveryStore {
  readonly rows = new Map<
    string,
    Delivery & { status: string; retryAt: number; errors: string[]; leasedUntil: number; httpStatus?: number }
  >();

  add(id: string, kind: string, createdAt = new Date()): void {
    this.rows.set(id, {
      id,
      taskId: 't1',
      batchId: null,
      createdAt,
      httpStatus: undefined,
      kind,
      spec: {},
      attempts: 0,
      status: 'pending',
      retryAt: 0,
      errors: [],
      leasedUntil: 0,
    });
  }

  async claimDue(limit: number, leaseMs: number): Promise<Delivery[]> {
    const now = Date.now();
    const due = [...this.rows.values()]
      .filter(
        (row) =>
          (row.status === 'pending' && row.retryAt <= now) || (row.status === 'delivering' && row.leasedUntil < now),
      )
      .slice(0, limit);
    for (const row of due) {
      row.status = 'delivering';
      row.attempts += 1;
      row.leasedUntil = now + leaseMs;
    }
    return due.map(({ id, taskId, batchId, kind, spec, attempts, createdAt }) => ({
      id,
      taskId,
      batchId,
      kind,
      spec,
      attempts,
      createdAt,
    }));
  }

  async markDelivered(id: string, receipt: DeliveryReceipt): Promise<void> {
    const row = this.rows.get(id)!;
    row.status = 'delivered';
    row.httpStatus = receipt.httpStatus;
  }

  async markAttemptFailed(id: string, error: string, retryAt: Date | null, receipt: DeliveryReceipt): Promise<void> {
    const row = this.rows.get(id)!;
    row.httpStatus = receipt.httpStatus;
    row.errors.push(error);
    row.status = retryAt === null ? 'failed' : 'pending';
    row.retryAt = retryAt?.getTime() ?? 0;
  }

  /** Makes every pending row due now, as if its backoff had passed. */
  elapse(): void {
    for (const row of this.rows.values()) row.retryAt = 0;
  }
}

const POLICY: DeliveryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  attemptTimeoutMs: 5_000,
  pollIntervalMs: 10,
  batchSize: 10,
  // Retried by time: for a minute after the delivery was decided, however many attempts that takes.
  retryByKind: {
    notify: { maxAttempts: Number.POSITIVE_INFINITY, baseDelayMs: 10_000, maxDelayMs: 10_000, giveUpAfterMs: 60_000 },
  },
};

function setup(handlers: ConstructorParameters<typeof DeliveryDispatcher>[1]) {
  const store = new InMemoryDeliveryStore();
  const logger = { log: jest.fn(), warn: jest.fn() };
  const observed = jest.fn();
  const dispatcher = new DeliveryDispatcher(store, handlers, POLICY, logger, observed, () => 1);
  return { store, logger, dispatcher, observed };
}

describe(DeliveryDispatcher.name, () => {
  it('delivers each due delivery with its kind’s handler, once', async () => {
    const seen: string[] = [];
    const { store, dispatcher } = setup({
      webhook: async (delivery) => void seen.push(`webhook:${delivery.id}`),
      email: async (delivery) => void seen.push(`email:${delivery.id}`),
    });
    store.add('a', 'webhook');
    store.add('b', 'email');
    expect(await dispatcher.tick()).toBe(2);
    expect(seen.sort()).toEqual(['email:b', 'webhook:a']);
    expect([...store.rows.values()].map((row) => row.status)).toEqual(['delivered', 'delivered']);
    expect(await dispatcher.tick()).toBe(0);
  });

  it('retries a retryable failure after an exponential backoff, then gives up after the last attempt', async () => {
    const { store, dispatcher } = setup({
      webhook: async () => Promise.reject(new DeliveryError('answered 503', true)),
    });
    store.add('a', 'webhook');
    const before = Date.now();
    await dispatcher.tick();
    const row = store.rows.get('a')!;
    expect(row).toMatchObject({ status: 'pending', attempts: 1, errors: ['answered 503'] });
    expect(row.retryAt - before).toBeGreaterThanOrEqual(1000);
    expect(await dispatcher.tick()).toBe(0);
    store.elapse();
    await dispatcher.tick();
    expect(row.retryAt - before).toBeGreaterThanOrEqual(2000);
    store.elapse();
    await dispatcher.tick();
    expect(row).toMatchObject({ status: 'failed', attempts: 3 });
    expect(row.errors).toHaveLength(3);
  });

  it('honours a retry-after longer than the backoff', async () => {
    const { store, dispatcher } = setup({
      webhook: async () => Promise.reject(new DeliveryError('answered 429', true, 30_000)),
    });
    store.add('a', 'webhook');
    const before = Date.now();
    await dispatcher.tick();
    expect(store.rows.get('a')!.retryAt - before).toBeGreaterThanOrEqual(30_000);
  });

  it('fails at once on a final error or an unknown kind; retries an unexpected error', async () => {
    const { store, dispatcher } = setup({
      webhook: async () => Promise.reject(new DeliveryError('answered 404', false)),
      email: async () => Promise.reject(new Error('socket hang up')),
    });
    store.add('a', 'webhook');
    store.add('b', 'fax');
    store.add('c', 'email');
    await dispatcher.tick();
    expect(store.rows.get('a')).toMatchObject({ status: 'failed', errors: ['answered 404'] });
    expect(store.rows.get('b')).toMatchObject({
      status: 'failed',
      errors: ['no handler for deliveries of kind fax'],
    });
    expect(store.rows.get('c')).toMatchObject({ status: 'pending', errors: ['Error: socket hang up'] });
  });

  it('polls until stopped, and leaves an attempt cut short by the stop to be claimed again', async () => {
    let started!: () => void;
    const inFlight = new Promise<void>((resolve) => (started = resolve));
    const { store, dispatcher } = setup({
      webhook: (_delivery, signal) =>
        new Promise((_, reject) => {
          started();
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        }),
    });
    store.add('a', 'webhook');
    dispatcher.start();
    await inFlight;
    await dispatcher.stop();
    expect(store.rows.get('a')).toMatchObject({ status: 'delivering', attempts: 1, errors: [] });
  });

  it('keeps the HTTP status an attempt got, delivered or not', async () => {
    const { store, dispatcher, observed } = setup({
      webhook: async () => ({ httpStatus: 202 }),
      email: async () => Promise.reject(new DeliveryError('answered 503', true, undefined, { httpStatus: 503 })),
    });
    store.add('a', 'webhook');
    store.add('b', 'email');
    await dispatcher.tick();
    expect(store.rows.get('a')).toMatchObject({ status: 'delivered', httpStatus: 202 });
    expect(store.rows.get('b')).toMatchObject({ status: 'pending', httpStatus: 503 });
    expect(observed.mock.calls.sort()).toEqual([
      ['email', 'failed'],
      ['webhook', 'delivered'],
    ]);
  });

  it('retries a kind with its own rule: past the attempts of the default, until its time is up', async () => {
    const { store, dispatcher } = setup({ notify: async () => Promise.reject(new DeliveryError('timeout', true)) });
    // Decided 55 s ago: the next attempt (10 s on) would come after its minute.
    store.add('a', 'notify', new Date(Date.now() - 55_000));
    await dispatcher.tick();
    expect(store.rows.get('a')).toMatchObject({ status: 'failed', attempts: 1 });
    store.add('b', 'notify');
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await dispatcher.tick();
      store.elapse();
    }
    // Four attempts, past the default's three, and still within its minute.
    expect(store.rows.get('b')).toMatchObject({ status: 'pending', attempts: 4 });
  });
});
