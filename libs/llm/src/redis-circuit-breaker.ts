import { batchPerTurn, sleep } from '@app/common';
import type { Redis } from 'ioredis';
import { RedisScript } from '@app/redis';
import type { CircuitBreaker, OutageState } from './llm.ports';

export interface RedisCircuitBreakerOptions {
  key: string;
  /** Consecutive failures (across all replicas) that open the breaker. */
  threshold: number;
  /** How long it stays open the first time; doubled on each failed probe, up to maxOpenMs. */
  baseOpenMs: number;
  maxOpenMs: number;
  /** How long a probe may take before another caller may probe instead. */
  probeTimeoutMs: number;
}

/*
 * KEYS[1] state hash: failures, since (first failure of the streak), open_until, last (message);
 * KEYS[2] probe lock. Returns {wait ms (0: go), outage ms so far (-1: none), last message}.
 * Closed: go. Open: wait until it ends. Then half-open: one caller (the probe) goes, the others wait.
 */
const ADMIT = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'since', 'open_until', 'last')
if not state[1] then return {0, -1, ''} end
local outage = now - tonumber(state[1])
local open_until = tonumber(state[2] or '0')
if open_until == 0 then return {0, outage, state[3] or ''} end
if now < open_until then return {open_until - now, outage, state[3] or ''} end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return {0, outage, state[3] or ''} end
return {math.min(250, tonumber(ARGV[1])), outage, state[3] or ''}
`);

/*
 * ARGV: threshold, base open ms, max open ms, message. Counts one failure; opens (or re-opens, for
 * twice as long) once the streak reaches the threshold. Returns the outage so far in ms.
 */
const FAIL = new RedisScript(`
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('HSETNX', KEYS[1], 'since', now)
redis.call('HSET', KEYS[1], 'last', ARGV[4])
local threshold = tonumber(ARGV[1])
if failures >= threshold then
  local open_ms = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(30, failures - threshold))
  redis.call('HSET', KEYS[1], 'open_until', now + open_ms)
  redis.call('DEL', KEYS[2])
end
return now - tonumber(redis.call('HGET', KEYS[1], 'since'))
`);

/**
 * A circuit breaker shared by every replica through Redis: once the provider has failed `threshold`
 * times in a row (5xx, 429, timeouts, refused connections), every replica holds its calls; when the
 * open period ends one call probes, and its success resumes them all. It also keeps the outage's
 * start, so every replica judges the same outage against LLM_OUTAGE_MAX_MS.
 */
export class RedisCircuitBreaker implements CircuitBreaker {
  private readonly probeKey: string;
  /** Whether the breaker's state exists, asked once for the admissions of one turn of the event loop. */
  private readonly stateChecks = batchPerTurn<void, boolean>(async (checks) => {
    const exists = (await this.redis.exists(this.options.key)) > 0;
    return checks.map(() => ({ value: exists }));
  });
  /** The successes of one turn of the event loop close the breaker with one DEL. */
  private readonly closings = batchPerTurn<void, void>(async (successes) => {
    await this.redis.del(this.options.key, this.probeKey);
    return successes.map(() => ({ value: undefined }));
  });

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisCircuitBreakerOptions,
  ) {
    this.probeKey = `${options.key}:probe`;
  }

  async admit(signal: AbortSignal, giveUpAfterMs: number): Promise<OutageState | undefined> {
    for (;;) {
      signal.throwIfAborted();
      // Closed, as nearly always, is a state that does not exist: a plain EXISTS tells (one for the
      // calls that start together), and the script runs only while there is an outage (in Redis the
      // script takes about 3 µs a call, EXISTS 0.04).
      if (!(await this.stateChecks.submit())) return undefined;
      const reply = await ADMIT.run(this.redis, [this.options.key, this.probeKey], [this.options.probeTimeoutMs]);
      const [waitMs, outageMs, last] = reply as [number, number, string];
      const outage = outageMs < 0 ? undefined : { outageMs, lastError: last };
      if (waitMs <= 0) return outage;
      if (outageMs >= giveUpAfterMs) return outage;
      await sleep(Math.min(waitMs, giveUpAfterMs - outageMs), signal);
    }
  }

  async failure(message: string): Promise<OutageState> {
    const { threshold, baseOpenMs, maxOpenMs } = this.options;
    const outageMs = await FAIL.run(
      this.redis,
      [this.options.key, this.probeKey],
      [threshold, baseOpenMs, maxOpenMs, message.slice(0, 500)],
    );
    return { outageMs: Number(outageMs), lastError: message };
  }

  /**
   * Closes the breaker and ends the outage, if there was one. A plain DEL rather than a script, since
   * every call that succeeds sends it: the probe lock means nothing without the state (ADMIT reads the
   * state first, FAIL takes the lock back when it opens the breaker), so both keys go unconditionally,
   * once for the successes of one turn of the event loop.
   */
  success(): Promise<void> {
    return this.closings.submit();
  }
}
