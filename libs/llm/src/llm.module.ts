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
import { RedisCircuitBreaker } from './redis-circuit-breaker';
import { RedisRateLimiter } from './redis-rate-limiter';
import { RedisResponseCache } from './redis-response-cache';
import { CacheConnectionCloser, cacheConnection, CacheRedisCheck } from './cache-redis';

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
const CACHE_REDIS = Symbol('CACHE_REDIS');
/** A cache that is down is reported this often at most, not on every call. */
const CACHE_ERROR_LOG_INTERVAL_MS = 60_000;

/** Logs the cache's failures, one line per interval with how many there were. */
function cacheErrorLogger(logger: Logger): (operation: 'get' | 'set', error: unknown) => void {
  let lastLogged = 0;
  let failures = 0;
  return (operation, error) => {
    failures += 1;
    if (Date.now() - lastLogged < CACHE_ERROR_LOG_INTERVAL_MS) return;
    logger.warn(
      `response cache unavailable, calls go uncached (${failures} failure(s), last on ${operation}: ${String(error)})`,
    );
    lastLogged = Date.now();
    failures = 0;
  };
}

/**
 * Provides the LlmClient: the shared Redis limiter, circuit breaker and cache in front of the provider
 * the app gives.
 */
@Module({})
export class LlmModule {
  static forRoot(options: LlmClientOptions, provider: LlmProviderFactory): DynamicModule {
    return {
      module: LlmModule,
      providers: [
        { provide: LLM_PROVIDER, inject: provider.inject ?? [], useFactory: provider.useFactory },
        {
          provide: CACHE_REDIS,
          inject: [REDIS_CLIENT],
          useFactory: (redis: Redis) => cacheConnection(options.cacheRedisUrl, redis),
        },
        {
          provide: CacheConnectionCloser,
          inject: [CACHE_REDIS],
          useFactory: (redis: Redis) => new CacheConnectionCloser(redis),
        },
        { provide: CacheRedisCheck, useFactory: () => new CacheRedisCheck(options.cacheRedisUrl) },
        {
          provide: LlmClient,
          inject: [REDIS_CLIENT, CACHE_REDIS, LLM_PROVIDER, { token: LLM_OBSERVER, optional: true }],
          useFactory: (redis: Redis, cacheRedis: Redis, llmProvider: LlmProvider, observer?: LlmObserver) =>
            new LlmClient({
              provider: llmProvider,
              limiter: new RedisRateLimiter(redis, {
                key: `${options.keyPrefix}:rate-limit`,
                requestsPerMinute: options.requestsPerMinute,
                tokensPerMinute: options.tokensPerMinute,
              }),
              breaker: new RedisCircuitBreaker(redis, {
                key: `${options.keyPrefix}:breaker`,
                threshold: options.breakerThreshold,
                baseOpenMs: options.baseDelayMs,
                maxOpenMs: options.maxDelayMs,
                probeTimeoutMs: options.timeoutMs,
              }),
              cache: new RedisResponseCache(cacheRedis, {
                prefix: `${options.keyPrefix}:cache`,
                ttlSeconds: options.cacheTtlSeconds,
                maxEntries: options.cacheMaxEntries,
                maxEntryBytes: options.cacheMaxEntryBytes,
                onError: cacheErrorLogger(new Logger(RedisResponseCache.name)),
              }),
              concurrency: new Semaphore(options.maxConcurrency),
              options: {
                timeoutMs: options.timeoutMs,
                baseDelayMs: options.baseDelayMs,
                maxDelayMs: options.maxDelayMs,
                outageMaxMs: options.outageMaxMs,
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
