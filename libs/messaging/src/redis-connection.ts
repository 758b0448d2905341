import { RedisOptions } from 'ioredis';

export interface RedisSettings {
  REDIS_HOST: string;
  REDIS_PORT: number;
  REDIS_PASSWORD: string;
  REDIS_DB: number;
}

export function redisConnection(settings: RedisSettings): RedisOptions {
  return {
    host: settings.REDIS_HOST,
    port: settings.REDIS_PORT,
    password: settings.REDIS_PASSWORD || undefined,
    db: settings.REDIS_DB,
  };
}
