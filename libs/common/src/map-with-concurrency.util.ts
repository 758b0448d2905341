import { LinkedAbortController } from './abort.util';

export interface MapOptions {
  /** Aborts every call's signal (the caller's job was cancelled or ran out of time). */
  signal?: AbortSignal;
}

/**
 * Maps `items` with at most `limit` calls of `fn` in flight; results keep the input order. The first
 * rejection rejects the whole map: no further items are started, the calls still in flight see
 * their signal abort, and the map settles only once they have ended — so no sibling of a failed
 * call keeps working (or writing) after its caller has moved on, e.g. to a retry of the same job.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, signal: AbortSignal) => Promise<R>,
  options: MapOptions = {},
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  const siblings = new LinkedAbortController(options.signal ? [options.signal] : []);
  const { signal } = siblings;
  let next = 0;
  let firstError: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!firstError && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index, signal);
      } catch (error) {
        if (!firstError) {
          firstError = { error };
          siblings.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  siblings.release();
  if (firstError) throw firstError.error;
  return results;
}
