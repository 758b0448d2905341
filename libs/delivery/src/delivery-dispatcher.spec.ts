import { DeliveryDispatcher } from './delivery-dispatcher';
import type { Delivery, DeliveryPolicy, DeliveryStore } from './delivery.types';
import { DeliveryError } from './delivery.types';

/** The store's contract in memory: due rows, one claim at a time, attempts counted on claim. */
class InMemoryDeliveryStore implements DeliveryStore {
  readonly rows = new Map<
    string,
    Delivery & { status: string; retryAt: number; errors: string[]; leasedUntil: number }
  >();

  add(id: string, kind: string): void {
    this.rows.set(id, {
      id,
      taskId: 't1',
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
    return due.map(({ id, taskId, kind, spec, attempts }) => ({ id, taskId, kind, spec, attempts }));
  }

  async markDelivered(id: string): Promise<void> {
    this.rows.get(id)!.status = 'delivered';
  }

  async markAttemptFailed(id: string, error: string, retryAt: Date | null): Promise<void> {
    const row = this.rows.get(id)!;
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
};

function setup(handlers: ConstructorParameters<typeof DeliveryDispatcher>[1]) {
  const store = new InMemoryDeliveryStore();
  const logger = { log: jest.fn(), warn: jest.fn() };
  const dispatcher = new DeliveryDispatcher(store, handlers, POLICY, logger, () => 1);
  return { store, logger, dispatcher };
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
});
