import { stableHash } from '@app/common';
import type { ChatRequest } from '@app/contracts';
import type { Redis } from 'ioredis';
import type { ResponseCache } from './llm.ports';

export interface RedisResponseCacheOptions {
  /** Prepended (with ':') to every key. */
  prefix: string;
  ttlSeconds: number;
}

/** LLM answers keyed by the request, shared by every replica, so a retried job never pays twice. */
export class RedisResponseCache implements ResponseCache {
  constructor(
    private readonly redis: Redis,
    private readonly options: RedisResponseCacheOptions,
  ) {}

  static keyFor(request: ChatRequest): string {
    return stableHash(request.model, request.temperature, request.response, JSON.stringify(request.messages));
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(this.redisKey(key));
  }

  async set(key: string, value: string): Promise<void> {
    await this.redis.set(this.redisKey(key), value, 'EX', this.options.ttlSeconds);
  }

  private redisKey(key: string): string {
    return `${this.options.prefix}:${key}`;
  }
}
