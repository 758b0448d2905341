/** One line for a log or a stored error: the error's name and message, or the thrown value itself. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Settles like `work`, or rejects once `ms` have passed without an answer. For calls that have no
 * timeout of their own (a Redis command queued while the connection is down waits indefinitely).
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    // Named like AbortSignal.timeout()'s reason: a message of ours, safe to show (see publicReason).
    timer = setTimeout(
      () => reject(Object.assign(new Error(`no answer within ${ms} ms`), { name: 'TimeoutError' })),
      ms,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
