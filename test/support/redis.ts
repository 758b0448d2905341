import Redis from 'ioredis';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { redisConnection } from '@app/redis';

/** A connection to the Redis the apps would use (REDIS_* settings); each one stands for a process. */
export function openTestRedis(): Redis {
  return new Redis(redisConnection(appOptions(loadConfig(BaseConfig)).redis));
}

/** Removes what a test wrote under its own key prefix. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
}
