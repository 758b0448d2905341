import { CancelledError, isAbortError, LinkedAbortController, sleep } from './abort.util';

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

describe(LinkedAbortController.name, () => {
  it('aborts with a TimeoutError after the delay', async () => {
    const { signal } = new LinkedAbortController([new AbortController().signal], 20);
    await sleep(60);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: 'TimeoutError' });
    expect(isAbortError(signal.reason)).toBe(true);
  });

  it('aborts with the reason of whichever parent aborts first, and only once', () => {
    const [first, second] = [new AbortController(), new AbortController()];
    const { signal } = new LinkedAbortController([first.signal, second.signal], 10_000);
    const reason = new CancelledError();
    second.abort(reason);
    first.abort(new Error('later'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
  });

  it('starts aborted when a parent already is', () => {
    const parent = new AbortController();
    parent.abort('gone');
    expect(new LinkedAbortController([parent.signal], 10_000).signal.reason).toBe('gone');
  });

  it('aborts by itself, like any AbortController', () => {
    const linked = new LinkedAbortController([new AbortController().signal]);
    linked.abort('stop');
    expect(linked.signal.reason).toBe('stop');
  });

  it('once released, follows neither its parents nor the clock', async () => {
    const parent = new AbortController();
    const linked = new LinkedAbortController([parent.signal], 20);
    linked.release();
    parent.abort('too late');
    await sleep(60);
    expect(linked.signal.aborted).toBe(false);
  });

  it('leaves no listener on a long-lived parent after release', () => {
    const parent = new AbortController();
    const added = jest.spyOn(parent.signal, 'addEventListener');
    const removed = jest.spyOn(parent.signal, 'removeEventListener');
    for (let i = 0; i < 3; i++) new LinkedAbortController([parent.signal], 1_000).release();
    expect(added).toHaveBeenCalledTimes(3);
    expect(removed.mock.calls.map(([, listener]) => listener)).toEqual(
      added.mock.calls.map(([, listener]) => listener),
    );
  });
});

describe(CancelledError.name, () => {
  it('is an Error named CancelledError', () => {
    const error = new CancelledError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CancelledError');
  });
});
