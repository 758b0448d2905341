import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import type { RedisOptions as IORedisOptions } from 'ioredis';
import { describeError, withDeadline } from '@app/common';
import { SHARED_CLIENT_OPTIONS } from '@app/redis';

/**
 * Commands on the cache's connection fail at once while it is down, and within a second when it
 * hangs, instead of waiting in ioredis's offline queue: a lost cache costs a miss, never a stalled call.
 */
const FAIL_FAST: IORedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_000 };

/**
 * The cache's connection: its own Redis when a URL is given, else a connection of its own to the queue
 * Redis (with the shared client's options).
 */
export function cacheConnection(url: string | undefined, queueRedis: Redis): Redis {
  return url ? new Redis(url, { ...SHARED_CLIENT_OPTIONS, ...FAIL_FAST }) : queueRedis.duplicate(FAIL_FAST);
}

/** Why a Redis with these settings cannot hold the cache on its own, or undefined when it can. */
export function cacheBoundProblem(maxmemory: number, policy: string): string | undefined {
  if (maxmemory > 0 && policy.startsWith('allkeys-')) return undefined;
  return (
    `CACHE_REDIS_URL names a Redis that does not bound itself (maxmemory ${maxmemory}, maxmemory-policy ` +
    `'${policy}'): a cache Redis needs a maxmemory and an allkeys-* policy such as allkeys-lru, or leave ` +
    `CACHE_REDIS_URL empty to keep the cache within its budget on the queue Redis.`
  );
}

/**
 * Refuses to start with a separate cache Redis that would grow without bound (or fill up and fail
 * writes). A cache Redis that cannot be reached or read is only warned about: the cache is best
 * effort, and the app works without it.
 */
export class CacheRedisCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(CacheRedisCheck.name);

  constructor(private readonly url: string | undefined) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.url) return;
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    client.on('error', () => undefined);
    let settings: { maxmemory: number; policy: string };
    try {
      const [, maxmemory] = (await withDeadline(client.config('GET', 'maxmemory'), 5_000)) as string[];
      const [, policy] = (await withDeadline(client.config('GET', 'maxmemory-policy'), 5_000)) as string[];
      settings = { maxmemory: Number(maxmemory), policy };
    } catch (error) {
      this.logger.warn(
        `cannot read the cache Redis's settings (${describeError(error)}); calls go uncached while it is down`,
      );
      return;
    } finally {
      client.disconnect();
    }
    const problem = cacheBoundProblem(settings.maxmemory, settings.policy);
    if (problem) throw new Error(problem);
  }
}

/** Closes the cache's connection with the app. */
export class CacheConnectionCloser implements OnApplicationShutdown {
  constructor(private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}
