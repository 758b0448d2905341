import type { DynamicModule, InjectionToken } from '@nestjs/common';
import { Logger, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Semaphore } from '@app/common';
import type { LlmWorkerConfig } from '@app/config';
import type { LlmProvider } from '@app/contracts';
import { REDIS_CLIENT } from '@app/redis';
import { LlmClient } from './llm-client';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisResponseCache } from './redis-response-cache';

export type LlmSettings = Pick<
  LlmWorkerConfig,
  | 'QUEUE_PREFIX'
  | 'LLM_RATE_LIMIT_RPM'
  | 'LLM_MAX_CONCURRENCY'
  | 'LLM_TIMEOUT_MS'
  | 'LLM_MAX_ATTEMPTS'
  | 'LLM_BACKOFF_BASE_MS'
  | 'LLM_BACKOFF_MAX_MS'
  | 'LLM_CACHE_TTL_SECONDS'
>;

/** The provider behind the client, built by Nest from the tokens it injects (the app chooses which). */
export interface LlmProviderFactory {
  inject?: InjectionToken[];
  useFactory: (...dependencies: never[]) => LlmProvider;
}

const LLM_PROVIDER = Symbol('LLM_PROVIDER');

/** Provides the LlmClient: the shared Redis limiter and cache in front of the provider the app gives. */
@Module({})
export class LlmModule {
  static forRoot(settings: LlmSettings, provider: LlmProviderFactory): DynamicModule {
    const keys = `${settings.QUEUE_PREFIX}:llm`;
    return {
      module: LlmModule,
      providers: [
        { provide: LLM_PROVIDER, inject: provider.inject ?? [], useFactory: provider.useFactory },
        {
          provide: LlmClient,
          inject: [REDIS_CLIENT, LLM_PROVIDER],
          useFactory: (redis: Redis, llmProvider: LlmProvider) =>
            new LlmClient({
              provider: llmProvider,
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
