import type { RedisOptions } from 'ioredis';

export interface RedisSettings {
  REDIS_HOST: string;
  REDIS_PORT: number;
  REDIS_PASSWORD: string;
  REDIS_DB: number;
}

/** Longest pause between two reconnection attempts. */
const MAX_RECONNECT_DELAY_MS = 2_000;

export function redisConnection(settings: RedisSettings): RedisOptions {
  return {
    host: settings.REDIS_HOST,
    port: settings.REDIS_PORT,
    password: settings.REDIS_PASSWORD || undefined,
    db: settings.REDIS_DB,
    // Bull's own default backs off exponentially up to 20 s, so a queue could stay offline that long
    // after Redis is back; every connection of ours retries at least every 2 s instead.
    retryStrategy: (attempt: number) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  };
}
