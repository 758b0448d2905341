import { CancelledError } from '@app/common';
import { CancellationRegistry } from './cancellation';

describe(CancellationRegistry.name, () => {
  it('hands out a live signal per tracked job', () => {
    const registry = new CancellationRegistry();
    const job = registry.track('t1');
    expect(job.signal.aborted).toBe(false);
    expect(registry.tracked).toBe(1);
  });

  it('aborts every signal of the cancelled task with a CancelledError, and only that task', () => {
    const registry = new CancellationRegistry();
    const first = registry.track('t1');
    const second = registry.track('t1');
    const other = registry.track('t2');

    expect(registry.cancel('t1')).toBe(2);

    for (const job of [first, second]) {
      expect(job.signal.aborted).toBe(true);
      expect(job.signal.reason).toBeInstanceOf(CancelledError);
      expect((job.signal.reason as Error).message).toBe('task t1 was cancelled');
    }
    expect(other.signal.aborted).toBe(false);
  });

  it('returns 0 for a task it does not know, aborting nothing', () => {
    const registry = new CancellationRegistry();
    const job = registry.track('t1');

    expect(registry.cancel('unknown')).toBe(0);
    expect(job.signal.aborted).toBe(false);
  });

  it('no longer aborts a released job, and forgets the task once its last job is released', () => {
    const registry = new CancellationRegistry();
    const released = registry.track('t1');
    const running = registry.track('t1');

    released.release();
    expect(registry.tracked).toBe(1);
    expect(registry.cancel('t1')).toBe(1);
    expect(released.signal.aborted).toBe(false);
    expect(running.signal.aborted).toBe(true);

    running.release();
    expect(registry.tracked).toBe(0);
    expect(registry.cancel('t1')).toBe(0);
  });

  it('tolerates a release called twice', () => {
    const registry = new CancellationRegistry();
    const job = registry.track('t1');
    job.release();
    job.release();
    expect(registry.tracked).toBe(0);
  });

  it('keeps tracking a job started after an earlier job of the same task was released', () => {
    const registry = new CancellationRegistry();
    const old = registry.track('t1');
    old.release();
    const fresh = registry.track('t1');

    old.release(); // a late second release of the old job must not drop the fresh one
    expect(registry.cancel('t1')).toBe(1);
    expect(fresh.signal.aborted).toBe(true);
  });
});
