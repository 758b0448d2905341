/** Thrown by task runners once a task was cancelled, so callers can tell it apart from a failure. */
export class CancelledError extends Error {
  constructor(message = 'task cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/**
 * True for the reasons AbortSignal produces (abort() and AbortSignal.timeout()). Checked by name
 * rather than instanceof because DOMException may come from another realm (e.g. jest's VM context).
 */
export function isAbortError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('name' in err)) return false;
  return err.name === 'AbortError' || err.name === 'TimeoutError';
}

/** Resolves after `ms`; rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as unknown);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts when `parent` does or, with a TimeoutError, after `ms`. */
export function timeoutSignal(parent: AbortSignal, ms: number): AbortSignal {
  return AbortSignal.any([parent, AbortSignal.timeout(ms)]);
}
