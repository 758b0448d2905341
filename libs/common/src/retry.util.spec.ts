import type { RetryOptions } from './retry.util';
import { retry } from './retry.util';

class TransientError extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('transient');
  }
}

describe('retry', () => {
  const options = (overrides: Partial<RetryOptions> = {}): RetryOptions => ({
    maxAttempts: 4,
    baseDelayMs: 1,
    maxDelayMs: 5,
    signal: new AbortController().signal,
    isRetryable: (err) => err instanceof TransientError,
    random: () => 0,
    ...overrides,
  });

  it('retries until the operation succeeds and passes the attempt number', async () => {
    const attempts: number[] = [];
    const result = await retry(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw new TransientError();
      return 'ok';
    }, options());
    expect(result).toBe('ok');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('rethrows the last error unwrapped after maxAttempts', async () => {
    const errors: TransientError[] = [];
    const operation = jest.fn(async () => {
      const error = new TransientError();
      errors.push(error);
      throw error;
    });
    const rejection = await retry(operation, options({ maxAttempts: 3 })).catch((err: unknown) => err);
    expect(operation).toHaveBeenCalledTimes(3);
    expect(rejection).toBe(errors[2]);
  });

  it('stops at once on a non-retryable error', async () => {
    const fatal = new Error('fatal');
    const operation = jest.fn(async () => {
      throw fatal;
    });
    await expect(retry(operation, options())).rejects.toBe(fatal);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('waits retryAfterMs when it is longer than the backoff and reports each retry', async () => {
    const onRetry = jest.fn();
    const started = Date.now();
    await retry(
      async (attempt) => {
        if (attempt === 1) throw new TransientError(80);
        return 'ok';
      },
      options({ retryAfterMs: (err) => (err as TransientError).retryAfterMs, onRetry }),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(onRetry).toHaveBeenCalledTimes(1);
    expect(onRetry).toHaveBeenCalledWith(expect.any(TransientError), 1, 80);
  });

  it('stops retrying once the signal aborts, even for retryable errors', async () => {
    const controller = new AbortController();
    const operation = jest.fn(async () => {
      controller.abort();
      throw new TransientError();
    });
    await expect(retry(operation, options({ signal: controller.signal }))).rejects.toBeInstanceOf(TransientError);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('aborts the wait between attempts', async () => {
    const controller = new AbortController();
    const operation = jest.fn(async () => {
      throw new TransientError(10_000);
    });
    const started = Date.now();
    const running = retry(operation, options({ signal: controller.signal, retryAfterMs: () => 10_000 }));
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(operation).toHaveBeenCalledTimes(1);
  });

  it('does not start when the signal is already aborted', async () => {
    const operation = jest.fn(async () => 'ok');
    await expect(retry(operation, options({ signal: AbortSignal.abort() }))).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(operation).not.toHaveBeenCalled();
  });
});
