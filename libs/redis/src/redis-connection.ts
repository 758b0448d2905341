import type { RedisOptions as IORedisOptions } from 'ioredis';
import type { RedisOptions } from '@app/config';

/** ioredis options of every connection of ours: the queues', the broadcasts' and the shared client's. */
export function redisConnection(options: RedisOptions): IORedisOptions {
  return {
    host: options.host,
    port: options.port,
    password: options.password,
    db: options.db,
    // Bull's own default backs off exponentially up to 20 s, so a queue could stay offline that long
    // after Redis is back; every connection of ours retries, forever, at least this often instead.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, options.reconnectMaxDelayMs),
  };
}
