import type Redis from 'ioredis';
import type { LlmProviderOptions, SimulatedLlmOptions } from '@app/config';
import type { LlmProviderFactory } from '@app/llm';
import { openAiLlmProvider } from '@app/llm';
import { REDIS_CLIENT } from '@app/redis';
import { LlmSimulator } from './llm.simulator';
import { RedisRequestWindow } from './redis-request-window';

/**
 * The simulated LLM provider as a Nest factory, for LlmModule. It counts its own per-minute limit in
 * Redis, so replicas share it as they would share a real provider's.
 */
export function simulatedLlmProvider(options: SimulatedLlmOptions): LlmProviderFactory {
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

/**
 * The provider LLM_PROVIDER names, for LlmModule: the simulator in process, or any OpenAI-compatible
 * API. Here because it sees both libs (libs/llm must not know the simulators).
 */
export function llmProviderFor(options: LlmProviderOptions): LlmProviderFactory {
  return options.kind === 'openai' ? openAiLlmProvider(options) : simulatedLlmProvider(options);
}
