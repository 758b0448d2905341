import type Redis from 'ioredis';
import { randomUUID } from 'crypto';
import { Semaphore } from '@app/common';
import type { ChatRequest, LlmProvider } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import type { RateLimiter } from '@app/llm';
import { LlmClient, RedisCircuitBreaker, RedisRateLimiter, RedisResponseCache, UsageMeter } from '@app/llm';
import { LlmSimulator, RedisRequestWindow } from '@app/simulators';
import { deleteKeys, openTestRedis } from '../support/redis';

const WINDOW_MS = 1_000;
const PROVIDER_LIMIT_PER_WINDOW = 5;
const CALLS = 20;
const IN_FLIGHT_PER_REPLICA = 4;

/**
 * Two "replicas" (own Redis connections, own clients) against one simulated provider whose limit is
 * far below what their shared limiter allows: the provider answers 429 with retry-after, and the
 * replicas must adapt — every call still succeeds, and the 429s stay few because a 429 pauses all.
 */
describe('LLM calls from two replicas against a provider over its limit (Redis)', () => {
  const prefix = `test-adaptive-${process.pid}-${Date.now()}`;
  const connections: Redis[] = [];

  afterAll(async () => {
    const [first] = connections;
    if (first) await deleteKeys(first, prefix);
    for (const connection of connections) connection.disconnect();
  });

  function replica(rateLimiter: (redis: Redis) => RateLimiter, seen: { rateLimited: number }): LlmClient {
    const redis = openTestRedis();
    connections.push(redis);
    const simulator = new LlmSimulator({
      seed: 1,
      latencyMs: { min: 0, max: 5 },
      failureRate: 0,
      rejectRate: 0,
      requestsPerMinute: PROVIDER_LIMIT_PER_WINDOW,
      window: new RedisRequestWindow(redis, `${prefix}:provider-window`, WINDOW_MS),
    });
    const provider: LlmProvider = {
      complete: (request: ChatRequest, signal: AbortSignal) =>
        simulator.complete(request, signal).catch((error: unknown) => {
          if (error instanceof ProviderError && error.status === 429) seen.rateLimited += 1;
          throw error;
        }),
    };
    return new LlmClient({
      provider,
      limiter: rateLimiter(redis),
      // Out of the way here: this spec is about the limiter's pauses.
      breaker: new RedisCircuitBreaker(redis, {
        key: `${prefix}:breaker:${randomUUID()}`,
        threshold: 1000,
        baseOpenMs: 50,
        maxOpenMs: 50,
        probeTimeoutMs: 1000,
      }),
      cache: new RedisResponseCache(redis, {
        prefix: `${prefix}:cache:${randomUUID()}`,
        ttlSeconds: 60,
        maxEntries: 10_000,
        maxEntryBytes: 8_192,
      }),
      concurrency: new Semaphore(IN_FLIGHT_PER_REPLICA),
      options: { timeoutMs: 5_000, baseDelayMs: 50, maxDelayMs: 400, outageMaxMs: 60_000 },
    });
  }

  async function scoreAll(clients: LlmClient[]): Promise<number[]> {
    const signal = new AbortController().signal;
    return Promise.all(
      Array.from({ length: CALLS }, (_, index) =>
        clients[index % clients.length]
          .scoreRecord(
            {
              model: 'm',
              temperature: 0,
              dimension: { id: 'd', name: 'quality', threshold: 0.5 },
              record: { id: `r${index}`, content: `record ${index} ${randomUUID()}`, fields: {} },
            },
            signal,
            new UsageMeter(),
          )
          .then((answer) => answer.score),
      ),
    );
  }

  it('finishes every call, pausing all replicas on a 429 instead of hammering the provider', async () => {
    const adaptive = { rateLimited: 0 };
    const limiterKey = `${prefix}:limiter:${randomUUID()}`;
    // The shared limiter allows 6,000 calls a minute: far above the provider's 5 a second.
    const shared = (redis: Redis) =>
      new RedisRateLimiter(redis, { key: limiterKey, requestsPerMinute: 6_000, burst: 10 });
    const startedAt = Date.now();
    const scores = await scoreAll([replica(shared, adaptive), replica(shared, adaptive)]);
    const elapsedMs = Date.now() - startedAt;

    expect(scores).toHaveLength(CALLS);
    for (const score of scores) expect(score).toBeGreaterThanOrEqual(0);
    // 20 calls at 5 per window cannot finish before the fourth window opens.
    expect(elapsedMs).toBeGreaterThanOrEqual(3 * WINDOW_MS * 0.9);

    // The same calls with a limiter that ignores retry-after: each replica retries on its own backoff.
    const deaf = { rateLimited: 0 };
    const ignoresPauses = (redis: Redis): RateLimiter => {
      const limiter = new RedisRateLimiter(redis, {
        key: `${prefix}:limiter:${randomUUID()}`,
        requestsPerMinute: 6_000,
        burst: 10,
      });
      return {
        acquire: (tokens, signal) => limiter.acquire(tokens, signal),
        pause: async () => undefined,
        observe: async () => undefined,
      };
    };
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
    await scoreAll([replica(ignoresPauses, deaf), replica(ignoresPauses, deaf)]);

    process.stdout.write(
      `429s from the provider: ${adaptive.rateLimited} with shared pauses, ${deaf.rateLimited} without\n`,
    );
    expect(adaptive.rateLimited).toBeLessThan(deaf.rateLimited);
  }, 30_000);
});
