import { sleep } from './abort.util';
import type { BackoffPolicy } from './backoff.util';
import { backoffDelay } from './backoff.util';

export interface RetryOptions extends BackoffPolicy {
  maxAttempts: number;
  signal: AbortSignal;
  isRetryable: (err: unknown) => boolean;
  /** A wait the failed call asked for (e.g. a 429's retry-after); honoured when longer than the backoff. */
  retryAfterMs?: (err: unknown) => number | undefined;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/**
 * Runs `operation` up to `maxAttempts` times. Non-retryable errors, errors after an abort of
 * `options.signal` and the error of the last attempt are rethrown as they are.
 */
export async function retry<T>(
  operation: (attempt: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await operation(attempt, signal);
    } catch (err) {
      if (signal.aborted || attempt >= options.maxAttempts || !options.isRetryable(err)) throw err;
      const delayMs = Math.max(backoffDelay(attempt, options, options.random), options.retryAfterMs?.(err) ?? 0);
      options.onRetry?.(err, attempt, delayMs);
      await sleep(delayMs, signal);
    }
  }
}
