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

/**
 * An AbortController whose signal also aborts when any of `parents` does (with that parent's
 * reason) or, with a TimeoutError, after `timeoutMs`. `release()` detaches it from its parents and
 * clears its timer once the work it guarded has ended. AbortSignal.any() and AbortSignal.timeout()
 * do the same but leave it to the garbage collector: Node 20 keeps every composed signal registered
 * with its parents until it is collected and every timeout timer armed until it fires, which cost
 * the workers about 3 % of their CPU at one signal per LLM call (ADR 21).
 */
export class LinkedAbortController extends AbortController {
  private readonly timer?: NodeJS.Timeout;
  private readonly onParentAbort = (event: Event): void => this.abort((event.target as AbortSignal).reason);

  constructor(
    private readonly parents: readonly AbortSignal[],
    timeoutMs?: number,
  ) {
    super();
    const aborted = parents.find((parent) => parent.aborted);
    if (aborted) {
      this.abort(aborted.reason);
      return;
    }
    for (const parent of parents) parent.addEventListener('abort', this.onParentAbort, { once: true });
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(
        () => this.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
        timeoutMs,
      );
    }
  }

  override abort(reason?: unknown): void {
    this.release();
    super.abort(reason);
  }

  /** Stops listening to the parents and to the clock; the signal keeps whatever state it has. */
  release(): void {
    clearTimeout(this.timer);
    for (const parent of this.parents) parent.removeEventListener('abort', this.onParentAbort);
  }
}
