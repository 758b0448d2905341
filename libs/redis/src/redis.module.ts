import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import type { RedisOptions } from '@app/config';
import { redisConnection } from './redis-connection';

/** Injection token of the app's general-purpose Redis connection (limiter, cache, health). */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * Commands issued in the same turn of the event loop go to Redis in one write. An evaluate job's calls
 * move in step (they start together, and Redis answers them together), so each of a call's commands
 * (cache, breaker, limiter) goes out with its siblings' instead of as a write, and a wake-up of Redis,
 * of its own.
 */
export const SHARED_CLIENT_OPTIONS = { enableAutoPipelining: true } as const;

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        {
          provide: REDIS_CLIENT,
          useFactory: () => new Redis({ ...redisConnection(options), ...SHARED_CLIENT_OPTIONS }),
        },
        RedisCloser,
      ],
      exports: [REDIS_CLIENT],
    };
  }
}
