import { DynamicModule, Logger, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Semaphore } from '@app/common';
import { LlmWorkerConfig } from '@app/config';
import { REDIS_CLIENT } from '@app/messaging';
import { LlmSimulator, RedisRequestWindow } from '@app/simulators';
import { LlmClient } from './llm-client';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisResponseCache } from './redis-response-cache';

export type LlmSettings = Pick<
  LlmWorkerConfig,
  | 'QUEUE_PREFIX'
  | 'SIMULATION_SEED'
  | 'LLM_PROVIDER'
  | 'LLM_RATE_LIMIT_RPM'
  | 'LLM_MAX_CONCURRENCY'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_MAX_ATTEMPTS'
  | 'LLM_BACKOFF_BASE_MS'
  | 'LLM_BACKOFF_MAX_MS'
  | 'LLM_CACHE_TTL_SECONDS'
  | 'SIM_LLM_LATENCY_MIN_MS'
  | 'SIM_LLM_LATENCY_MAX_MS'
  | 'SIM_LLM_FAILURE_RATE'
  | 'SIM_LLM_REJECT_RATE'
  | 'SIM_LLM_RPM'
>;

/**
 * Provides the LlmClient: the shared Redis limiter and cache in front of the provider. The simulated
 * provider counts its own per-minute limit in Redis too, so replicas share it as they would share a
 * real provider's.
 */
@Module({})
export class LlmModule {
  static forRoot(settings: LlmSettings): DynamicModule {
    const keys = `${settings.QUEUE_PREFIX}:llm`;
    return {
      module: LlmModule,
      providers: [
        {
          provide: LlmClient,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis) =>
            new LlmClient({
              provider: new LlmSimulator({
                seed: settings.SIMULATION_SEED,
                latencyMs: { min: settings.SIM_LLM_LATENCY_MIN_MS, max: settings.SIM_LLM_LATENCY_MAX_MS },
                failureRate: settings.SIM_LLM_FAILURE_RATE,
                rejectRate: settings.SIM_LLM_REJECT_RATE,
                requestsPerMinute: settings.SIM_LLM_RPM,
                window: new RedisRequestWindow(redis, `${keys}:simulated-provider-window`),
              }),
              limiter: new RedisRateLimiter(redis, {
                key: `${keys}:rate-limit`,
                requestsPerMinute: settings.LLM_RATE_LIMIT_RPM,
              }),
              cache: new RedisResponseCache(redis, {
                prefix: `${keys}:cache`,
                ttlSeconds: settings.LLM_CACHE_TTL_SECONDS,
              }),
              concurrency: new Semaphore(settings.LLM_MAX_CONCURRENCY),
              options: {
                timeoutMs: settings.LLM_TIMEOUT_MS,
                maxAttempts: settings.LLM_MAX_ATTEMPTS,
                baseDelayMs: settings.LLM_BACKOFF_BASE_MS,
                maxDelayMs: settings.LLM_BACKOFF_MAX_MS,
              },
              logger: new Logger(LlmClient.name),
            }),
        },
      ],
      exports: [LlmClient],
    };
  }
}
