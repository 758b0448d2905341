import type { Redis } from 'ioredis';
import { RedisScript } from '@app/redis';
import type { RequestWindow } from './request-window';
import { REQUEST_WINDOW_MS } from './request-window';

// One script so the counter never exists without its expiry, even if a process dies between calls.
const HIT_SCRIPT = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

/**
 * A fixed window in Redis (60 s, like a per-minute limit), so every process shares one simulated
 * provider's limit. Tests shorten the window to see several of them in seconds.
 */
export class RedisRequestWindow implements RequestWindow {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly windowMs: number = REQUEST_WINDOW_MS,
  ) {}

  async hit(): Promise<{ count: number; resetInMs: number }> {
    const reply = await HIT_SCRIPT.run(this.redis, [this.key], [this.windowMs]);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
      throw new Error(`unexpected reply from the request window script: ${JSON.stringify(reply)}`);
    }
    return { count: reply[0], resetInMs: reply[1] };
  }
}
