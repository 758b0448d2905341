import { sleep } from './abort.util';
import { mapWithConcurrency } from './map-with-concurrency.util';

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight and reaches the limit', async () => {
    let running = 0;
    let peak = 0;
    await mapWithConcurrency(
      Array.from({ length: 20 }, (_, i) => i),
      4,
      async (item) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(item % 3);
        running--;
      },
    );
    expect(peak).toBe(4);
  });

  it('returns results in input order whatever the completion order', async () => {
    const items = [30, 5, 20, 1, 10];
    const results = await mapWithConcurrency(items, 3, async (delay, index) => {
      await sleep(delay);
      return `${index}:${delay}`;
    });
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('rejects with the first error and starts no further items', async () => {
    const started: number[] = [];
    const run = mapWithConcurrency([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      await sleep(5);
      if (item === 1) throw new Error('item 1 failed');
      return item;
    });
    await expect(run).rejects.toThrow('item 1 failed');
    await sleep(30);
    expect(started).toEqual([0, 1, 2]);
  });

  it('aborts the calls in flight beside a failed one and settles only once they have ended', async () => {
    const events: string[] = [];
    const run = mapWithConcurrency([0, 1, 2], 3, async (item, _index, signal) => {
      if (item === 1) throw new Error('item 1 failed');
      // Would never end on its own: only the abort of its signal stops it.
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      events.push(`item ${item} stopped: ${(signal.reason as Error).message}`);
    });
    await run.catch((error: Error) => events.push(`map rejected: ${error.message}`));
    expect(events).toEqual([
      'item 0 stopped: item 1 failed',
      'item 2 stopped: item 1 failed',
      'map rejected: item 1 failed',
    ]);
  });

  it("passes the caller's abort to every call", async () => {
    const caller = new AbortController();
    const run = mapWithConcurrency(
      [0, 1],
      2,
      (_item, _index, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
        ),
      { signal: caller.signal },
    );
    caller.abort(new Error('job cancelled'));
    await expect(run).rejects.toThrow('job cancelled');
  });

  it("lets go of the caller's signal once it has settled: a long-lived job signal gathers no listeners", async () => {
    const caller = new AbortController();
    const added = jest.spyOn(caller.signal, 'addEventListener');
    const removed = jest.spyOn(caller.signal, 'removeEventListener');
    let seen: AbortSignal | undefined;
    await mapWithConcurrency([0, 1], 2, async (_item, _index, signal) => (seen = signal), { signal: caller.signal });
    expect(removed).toHaveBeenCalledTimes(added.mock.calls.length);
    caller.abort();
    expect(seen?.aborted).toBe(false);
  });

  it('handles an empty list', async () => {
    await expect(mapWithConcurrency([], 3, async () => 1)).resolves.toEqual([]);
  });

  it('rejects an invalid limit', async () => {
    await expect(mapWithConcurrency([1], 0, async (x) => x)).rejects.toThrow(RangeError);
  });
});
