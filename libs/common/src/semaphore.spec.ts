import { sleep } from './abort.util';
import { Semaphore } from './semaphore';

describe(Semaphore.name, () => {
  it('never runs more than `permits` operations at once', async () => {
    const semaphore = new Semaphore(3);
    let running = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        semaphore.run(async () => {
          running++;
          peak = Math.max(peak, running);
          expect(semaphore.inFlight).toBeLessThanOrEqual(3);
          await sleep(i % 3);
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(semaphore.inFlight).toBe(0);
    expect(semaphore.waiting).toBe(0);
  });

  it('serves waiters in arrival order', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      semaphore.acquire().then((releaseNext) => {
        order.push(n);
        releaseNext();
      }),
    );
    expect(semaphore.waiting).toBe(3);
    release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('treats a second release as a no-op', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const second = semaphore.acquire();
    const third = semaphore.acquire();
    release();
    release();
    await second;
    expect(semaphore.inFlight).toBe(1);
    expect(semaphore.waiting).toBe(1);
    const outcome = await Promise.race([third.then(() => 'granted'), sleep(20).then(() => 'waiting')]);
    expect(outcome).toBe('waiting');
  });

  it('removes an aborted waiter from the queue and rejects it', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const controller = new AbortController();
    const aborted = semaphore.acquire(controller.signal);
    const next = semaphore.acquire();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expect(semaphore.waiting).toBe(1);
    release();
    await expect(next).resolves.toEqual(expect.any(Function));
    expect(semaphore.inFlight).toBe(1);
  });

  it('rejects at once for an already aborted signal without taking a permit', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.acquire(AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
    expect(semaphore.inFlight).toBe(0);
  });

  it('releases the permit when the operation fails', async () => {
    const semaphore = new Semaphore(1);
    await expect(semaphore.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(semaphore.inFlight).toBe(0);
  });

  it('rejects invalid permit counts', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
  });
});
