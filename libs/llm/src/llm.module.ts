import type { DynamicModule, InjectionToken } from '@nestjs/common';
import { Logger, Module } from '@nestjs/common';
import Redis from 'ioredis';
import { Semaphore } from '@app/common';
import type { LlmClientOptions, OpenAiLlmOptions } from '@app/config';
import type { LlmProvider } from '@app/contracts';
import { REDIS_CLIENT } from '@app/redis';
import { LlmClient } from './llm-client';
import type { LlmObserver } from './llm.ports';
import { LLM_OBSERVER } from './llm.ports';
import { OpenAiProvider } from './providers/openai.provider';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisResponseCache } from './redis-response-cache';

/** The provider behind the client, built by Nest from the tokens it injects (the app chooses which). */
export interface LlmProviderFactory {
  inject?: InjectionToken[];
  useFactory: (...dependencies: never[]) => LlmProvider;
}

/** An OpenAI-compatible chat-completions API (LLM_PROVIDER=openai) as a factory for LlmModule. */
export function openAiLlmProvider(options: OpenAiLlmOptions): LlmProviderFactory {
  return { useFactory: () => new OpenAiProvider(options) };
}

const LLM_PROVIDER = Symbol('LLM_PROVIDER');

/** Provides the LlmClient: the shared Redis limiter and cache in front of the provider the app gives. */
@Module({})
export class LlmModule {
  static forRoot(options: LlmClientOptions, provider: LlmProviderFactory): DynamicModule {
    return {
      module: LlmModule,
      providers: [
        { provide: LLM_PROVIDER, inject: provider.inject ?? [], useFactory: provider.useFactory },
        {
          provide: LlmClient,
          inject: [REDIS_CLIENT, LLM_PROVIDER, { token: LLM_OBSERVER, optional: true }],
          useFactory: (redis: Redis, llmProvider: LlmProvider, observer?: LlmObserver) =>
            new LlmClient({
              provider: llmProvider,
              limiter: new RedisRateLimiter(redis, {
                key: `${options.keyPrefix}:rate-limit`,
                requestsPerMinute: options.requestsPerMinute,
              }),
              cache: new RedisResponseCache(redis, {
                prefix: `${options.keyPrefix}:cache`,
                ttlSeconds: options.cacheTtlSeconds,
              }),
              concurrency: new Semaphore(options.maxConcurrency),
              options: {
                timeoutMs: options.timeoutMs,
                maxAttempts: options.maxAttempts,
                baseDelayMs: options.baseDelayMs,
                maxDelayMs: options.maxDelayMs,
              },
              logger: new Logger(LlmClient.name),
              observer,
            }),
        },
      ],
      exports: [LlmClient],
    };
  }
}
