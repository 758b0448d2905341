import { batchPerTurn } from '@app/common';
import type { Redis } from 'ioredis';
import { RedisScript } from '@app/redis';
import type { RequestWindow } from './request-window';
import { REQUEST_WINDOW_MS } from './request-window';

// One script so the counter never exists without its expiry, even if a process dies between calls.
// ARGV: the window's ms, the hits counted.
const HIT_SCRIPT = new RedisScript(`
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

/**
 * A fixed window in Redis (60 s, like a per-minute limit), so every process shares one simulated
 * provider's limit. Tests shorten the window to see several of them in seconds. The hits of one turn
 * of the event loop are counted in one script call, each with the count it would have seen alone.
 */
export class RedisRequestWindow implements RequestWindow {
  private readonly hits = batchPerTurn<void, { count: number; resetInMs: number }>((hits) =>
    this.countAll(hits.length),
  );

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly windowMs: number = REQUEST_WINDOW_MS,
  ) {}

  hit(): Promise<{ count: number; resetInMs: number }> {
    return this.hits.submit();
  }

  private async countAll(hits: number): Promise<{ value: { count: number; resetInMs: number } }[]> {
    const reply = await HIT_SCRIPT.run(this.redis, [this.key], [this.windowMs, hits]);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new Error(`unexpected reply from the request window script: ${JSON.stringify(reply)}`);
    }
    const [last, resetInMs] = reply as [number, number];
    return Array.from({ length: hits }, (_, index) => ({ value: { count: last - hits + 1 + index, resetInMs } }));
  }
}
