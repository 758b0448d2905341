import { RedisCircuitBreaker, RedisRateLimiter } from '@app/llm';
import { twoReplicaConnections } from '../support/redis';

// The booked waits are computed by the script from Redis's clock, so the time a (slow) test run takes
// between calls shifts them; the rates are low enough that a second of it changes nothing here.
const SLACK_MS = 1000;

describe(RedisRateLimiter.name, () => {
  const prefix = `test:llm-rate-limiter:${process.pid}:${Date.now()}`;
  const { first, second } = twoReplicaConnections(prefix);

  // Two limiters on separate connections stand for two replicas sharing one limit.
  const replicas = (
    name: string,
    options: { requestsPerMinute: number; tokensPerMinute?: number; burst?: number },
  ): [RedisRateLimiter, RedisRateLimiter] => {
    const shared = { key: `${prefix}:${name}`, ...options };
    return [new RedisRateLimiter(first(), shared), new RedisRateLimiter(second(), shared)];
  };
  const noAbort = (): AbortSignal => new AbortController().signal;

  it('books consecutive slots at the request rate across two replicas, each caller waiting for its own', async () => {
    const [a, b] = replicas('rate', { requestsPerMinute: 6, burst: 1 });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) waits.push(await (i % 2 === 0 ? a : b).reserve(1));
    // 6 rpm is one request per 10 s: the n-th caller's slot is n * 10 s away.
    waits.forEach((wait, n) => {
      expect(wait).toBeGreaterThanOrEqual(n * 10_000 - SLACK_MS);
      expect(wait).toBeLessThanOrEqual(n * 10_000);
    });
  });

  it('books the slots of callers that ask together one after another, as if each had asked in turn', async () => {
    const [a, b] = replicas('together', { requestsPerMinute: 6, burst: 1 });
    const waits = await Promise.all([a.reserve(1), a.reserve(1), a.reserve(1)]);
    waits.push(await b.reserve(1));
    waits.forEach((wait, n) => {
      expect(wait).toBeGreaterThanOrEqual(n * 10_000 - SLACK_MS);
      expect(wait).toBeLessThanOrEqual(n * 10_000);
    });
  });

  it('lets a burst go at once, then spaces the rest', async () => {
    const [a] = replicas('burst', { requestsPerMinute: 6, burst: 3 });
    const waits = [await a.reserve(1), await a.reserve(1), await a.reserve(1), await a.reserve(1)];
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThanOrEqual(10_000 - SLACK_MS);
  });

  it('spaces calls by the tokens they book when the token budget is the tighter one', async () => {
    // 600 tokens a minute is 100 ms a token: a call of 100 tokens books 10 s of the budget, and a
    // second's worth may go at once.
    const [a, b] = replicas('tokens', { requestsPerMinute: 100_000, tokensPerMinute: 600 });
    const waits = [await a.reserve(100), await b.reserve(100), await a.reserve(50)];
    expect(waits[0]).toBe(0);
    expect(waits[1]).toBeGreaterThanOrEqual(9_000 - SLACK_MS);
    expect(waits[1]).toBeLessThanOrEqual(9_000);
    expect(waits[2]).toBeGreaterThanOrEqual(19_000 - SLACK_MS);
  });

  it('holds back the other replica while paused, and a shorter pause never shortens it', async () => {
    const [a, b] = replicas('pause', { requestsPerMinute: 6_000 });
    await a.pause(10_000);
    await a.pause(50);
    expect(await b.reserve(1)).toBeGreaterThanOrEqual(10_000 - SLACK_MS);
  });

  it('pauses every replica until the reset when the provider says its window is used up', async () => {
    const [a, b] = replicas('observe', { requestsPerMinute: 6_000 });
    await a.observe({ remainingRequests: 5, resetRequestsMs: 9_000 });
    expect(await b.reserve(1)).toBe(0);
    await a.observe({ remainingRequests: 0, resetRequestsMs: 4_000, remainingTokens: 0, resetTokensMs: 7_000 });
    expect(await b.reserve(1)).toBeGreaterThanOrEqual(7_000 - SLACK_MS);
  });

  it('gives up waiting when the signal aborts', async () => {
    const [a] = replicas('abort', { requestsPerMinute: 6_000 });
    await a.pause(10_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(a.acquire(1, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('works again after Redis forgot its scripts (NOSCRIPT)', async () => {
    const [a] = replicas('noscript', { requestsPerMinute: 6_000 });
    await a.acquire(1, noAbort());
    await first().script('FLUSH');
    await expect(a.acquire(1, noAbort())).resolves.toBeUndefined();
  });
});

describe(RedisCircuitBreaker.name, () => {
  const prefix = `test:llm-breaker:${process.pid}:${Date.now()}`;
  const { first, second } = twoReplicaConnections(prefix);

  const replicas = (name: string, baseOpenMs = 200): [RedisCircuitBreaker, RedisCircuitBreaker] => {
    const options = { key: `${prefix}:${name}`, threshold: 3, baseOpenMs, maxOpenMs: 1000, probeTimeoutMs: 5000 };
    return [new RedisCircuitBreaker(first(), options), new RedisCircuitBreaker(second(), options)];
  };
  const noAbort = (): AbortSignal => new AbortController().signal;

  it('lets calls through while closed and counts no outage', async () => {
    const [a] = replicas('closed');
    await expect(a.admit(noAbort(), 60_000)).resolves.toBeUndefined();
  });

  it('looks at its state once for the calls that start together, and closes once for those that succeed together', async () => {
    const [a] = replicas('together');
    const connection = first();
    const exists = jest.spyOn(connection, 'exists');
    const del = jest.spyOn(connection, 'del');
    try {
      await expect(Promise.all([1, 2, 3, 4].map(() => a.admit(noAbort(), 60_000)))).resolves.toEqual([
        undefined,
        undefined,
        undefined,
        undefined,
      ]);
      await Promise.all([a.success(), a.success(), a.success()]);
      expect(exists).toHaveBeenCalledTimes(1);
      expect(del).toHaveBeenCalledTimes(1);
    } finally {
      exists.mockRestore();
      del.mockRestore();
    }
  });

  it("opens for every replica after the threshold of failures, lets one probe through, and closes on the probe's success", async () => {
    const [a, b] = replicas('open');
    for (let i = 0; i < 3; i++) await a.failure('provider answered 503: down');
    const admitted: string[] = [];
    const waiting = [a, b, a, b].map((breaker, i) =>
      breaker.admit(noAbort(), 60_000).then((outage) => {
        admitted.push(`caller ${i}`);
        return outage;
      }),
    );
    // Once the open period is over exactly one caller is let through: the probe.
    while (admitted.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(admitted).toHaveLength(1);
    await b.success();
    const outages = await Promise.all(waiting);
    expect(admitted).toHaveLength(4);
    // The probe went out during the outage and was told so; the others, once it had ended, were not.
    expect(outages.filter((outage) => outage !== undefined)).toEqual([
      { outageMs: expect.any(Number), lastError: 'provider answered 503: down' },
    ]);
    await expect(a.admit(noAbort(), 60_000)).resolves.toBeUndefined();
  });

  it('keeps the start of the outage across failures, so every replica judges the same outage', async () => {
    const [a, b] = replicas('clock', 50);
    const firstFailure = await a.failure('503');
    await new Promise((resolve) => setTimeout(resolve, 120));
    const later = await b.failure('502');
    expect(later.outageMs).toBeGreaterThanOrEqual(firstFailure.outageMs + 100);
    // A caller that would wait past its limit is answered with the outage instead.
    for (let i = 0; i < 3; i++) await b.failure('504: gateway timeout');
    const outage = await a.admit(noAbort(), 150);
    expect(outage?.outageMs).toBeGreaterThanOrEqual(150);
    expect(outage?.lastError).toBe('504: gateway timeout');
    await a.success();
    await expect(b.admit(noAbort(), 150)).resolves.toBeUndefined();
  });
});
