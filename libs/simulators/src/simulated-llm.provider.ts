import type Redis from 'ioredis';
import type { SimulatedLlmOptions } from '@app/config';
import { REDIS_CLIENT } from '@app/redis';
import { LlmSimulator } from './llm.simulator';
import { RedisRequestWindow } from './redis-request-window';

/**
 * The simulated LLM provider as a Nest factory, for LlmModule. It counts its own per-minute limit in
 * Redis, so replicas share it as they would share a real provider's.
 */
export function simulatedLlmProvider(options: SimulatedLlmOptions) {
  return {
    inject: [REDIS_CLIENT],
    useFactory: (redis: Redis) =>
      new LlmSimulator({
        seed: options.seed,
        latencyMs: options.latencyMs,
        failureRate: options.failureRate,
        rejectRate: options.rejectRate,
        requestsPerMinute: options.requestsPerMinute,
        window: new RedisRequestWindow(redis, options.windowKey),
      }),
  };
}
