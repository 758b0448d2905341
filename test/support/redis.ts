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

/**
 * Two Redis connections standing for two replicas, for one describe block: opened before its tests,
 * and after them the keys under `prefix` deleted and both closed. Read them inside the tests.
 */
export function twoReplicaConnections(prefix: string): { first: () => Redis; second: () => Redis } {
  let connections: [Redis, Redis] | undefined;
  beforeAll(() => {
    connections = [openTestRedis(), openTestRedis()];
  });
  afterAll(async () => {
    if (!connections) return;
    await deleteKeys(connections[0], prefix);
    await Promise.all(connections.map((connection) => connection.quit()));
  });
  const get = (index: 0 | 1) => () => {
    if (!connections) throw new Error('the connections are opened before the tests');
    return connections[index];
  };
  return { first: get(0), second: get(1) };
}
