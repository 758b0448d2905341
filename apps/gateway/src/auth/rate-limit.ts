import rateLimit from '@fastify/rate-limit';
import { HttpException, HttpStatus } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type Redis from 'ioredis';
import { API_PREFIX } from '../swagger';
import type { ApiKeys } from './api-keys';
import { presentedKey } from './api-keys';

export interface RateLimitOptions {
  /** Requests one key may make per window, counted across every gateway replica. */
  max: number;
  windowMs: number;
}

/**
 * The per-key request limit of the API, counted in the shared Redis so it holds however many gateway
 * replicas there are; over it, 429 with Retry-After. Requests without a known key are counted per
 * client address (they get 401 anyway). Only the API is limited; when Redis does not answer, requests
 * pass rather than fail.
 */
export async function registerRateLimit(
  app: NestFastifyApplication,
  keys: ApiKeys,
  options: RateLimitOptions,
  redis: Redis,
  keyPrefix: string,
): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    redis,
    nameSpace: `${keyPrefix}:rate-limit:`,
    skipOnError: true,
    allowList: (request) => !request.url.startsWith(`/${API_PREFIX}/`),
    // An HttpException, so Nest answers it like its own 429s instead of logging an unhandled error.
    errorResponseBuilder: (_request, context) =>
      new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: `Over ${context.max} requests per ${context.after} for this key; retry after ${Math.ceil(context.ttl / 1000)} s`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      ),
    keyGenerator: (request) => {
      const key = presentedKey(request.headers);
      const principal = key === undefined ? undefined : keys.identify(key);
      return principal?.name ? `key:${principal.name}` : `ip:${request.ip}`;
    },
  });
}
