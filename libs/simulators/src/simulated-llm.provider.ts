import type Redis from 'ioredis';
import type { LlmWorkerConfig } from '@app/config';
import { REDIS_CLIENT } from '@app/redis';
import { LlmSimulator } from './llm.simulator';
import { RedisRequestWindow } from './redis-request-window';

export type SimulatedLlmSettings = Pick<
  LlmWorkerConfig,
  | 'QUEUE_PREFIX'
  | 'SIMULATION_SEED'
  | 'SIM_LLM_LATENCY_MIN_MS'
  | 'SIM_LLM_LATENCY_MAX_MS'
  | 'SIM_LLM_FAILURE_RATE'
  | 'SIM_LLM_REJECT_RATE'
  | 'SIM_LLM_RPM'
>;

/**
 * The simulated LLM provider as a Nest factory, for LlmModule. It counts its own per-minute limit in
 * Redis, so replicas share it as they would share a real provider's.
 */
export function simulatedLlmProvider(settings: SimulatedLlmSettings) {
  return {
    inject: [REDIS_CLIENT],
    useFactory: (redis: Redis) =>
      new LlmSimulator({
        seed: settings.SIMULATION_SEED,
        latencyMs: { min: settings.SIM_LLM_LATENCY_MIN_MS, max: settings.SIM_LLM_LATENCY_MAX_MS },
        failureRate: settings.SIM_LLM_FAILURE_RATE,
        rejectRate: settings.SIM_LLM_REJECT_RATE,
        requestsPerMinute: settings.SIM_LLM_RPM,
        window: new RedisRequestWindow(redis, `${settings.QUEUE_PREFIX}:llm:simulated-provider-window`),
      }),
  };
}
