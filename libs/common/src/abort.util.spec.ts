import { CancelledError, isAbortError, sleep, timeoutSignal } from './abort.util';

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the abort reason and stops waiting', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const sleeping = sleep(10_000, controller.signal);
    setTimeout(() => controller.abort(), 10);
    await expect(sleeping).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const reason = new CancelledError();
    await expect(sleep(10_000, AbortSignal.abort(reason))).rejects.toBe(reason);
  });

  it('clears its timer when aborted', async () => {
    jest.useFakeTimers();
    try {
      const controller = new AbortController();
      const sleeping = sleep(10_000, controller.signal);
      expect(jest.getTimerCount()).toBe(1);
      controller.abort();
      await expect(sleeping).rejects.toBeDefined();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('isAbortError', () => {
  it('recognises abort and timeout reasons only', () => {
    expect(isAbortError(AbortSignal.abort().reason)).toBe(true);
    expect(isAbortError(new DOMException('late', 'TimeoutError'))).toBe(true);
    expect(isAbortError(new Error('boom'))).toBe(false);
    expect(isAbortError(new CancelledError())).toBe(false);
    expect(isAbortError('AbortError')).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });
});

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError after the delay', async () => {
    const signal = timeoutSignal(new AbortController().signal, 20);
    await sleep(60);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('aborts with the parent reason when the parent aborts first', () => {
    const parent = new AbortController();
    const signal = timeoutSignal(parent.signal, 10_000);
    const reason = new CancelledError();
    parent.abort(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });
});

describe(CancelledError.name, () => {
  it('is an Error named CancelledError', () => {
    const error = new CancelledError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CancelledError');
  });
});
