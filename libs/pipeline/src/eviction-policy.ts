import type { OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { withDeadline } from '@app/common';
import type { RedisOptions } from '@app/config';
import { redisConnection } from '@app/redis';

/** Why a Redis with this `maxmemory-policy` must not carry the queues, or undefined when it may. */
export function evictionProblem(policy: string, allowEviction: boolean): string | undefined {
  if (policy === 'noeviction' || allowEviction) return undefined;
  return (
    `Redis maxmemory-policy is '${policy}': under memory pressure it would silently drop queued jobs and ` +
    `their locks. The queue Redis must run with 'maxmemory-policy noeviction' (REDIS_ALLOW_EVICTION=true ` +
    `skips this check, for tests only).`
  );
}

/**
 * Refuses to start on a queue Redis that may evict keys: Bull's jobs, locks and the limiter would
 * vanish under memory pressure instead of writes failing loudly. A Redis that does not let us read
 * its configuration (managed services often forbid CONFIG) gets a warning instead.
 */
export class EvictionPolicyCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger(EvictionPolicyCheck.name);

  constructor(private readonly redis: RedisOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    const client = new Redis({ ...redisConnection(this.redis), lazyConnect: true });
    try {
      let policy: string;
      try {
        const reply = (await withDeadline(client.config('GET', 'maxmemory-policy'), 10_000)) as string[];
        policy = reply[1];
      } catch (error) {
        if (!(error instanceof Error && error.name === 'ReplyError')) throw error;
        this.logger.warn(`cannot read Redis maxmemory-policy (${error.message}); it must be 'noeviction'`);
        return;
      }
      const problem = evictionProblem(policy, this.redis.allowEviction);
      if (problem) throw new Error(problem);
      if (policy !== 'noeviction')
        this.logger.warn(`Redis maxmemory-policy is '${policy}' (allowed by REDIS_ALLOW_EVICTION)`);
    } finally {
      client.disconnect();
    }
  }
}
