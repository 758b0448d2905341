/**
 * What a group's commit answers for each of its items, in their order: the item's value, or the
 * error that refuses that item alone (the others of the group are unaffected).
 */
export type GroupOutcome<R> = { value: R } | { error: unknown };

interface Waiting<T, R> {
  item: T;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/**
 * Group commit: items submitted while commits are under way wait and then go together in the next
 * one, so N concurrent callers cost one commit's statements instead of N. Up to `maxConcurrent`
 * commits run at once, so one group's round trips overlap the next's instead of queueing it behind
 * them. An item that finds a free slot is committed at once (after the current turn of the event
 * loop, so callers of the same turn share it): under light load nothing waits, under heavy load the
 * groups grow by themselves. With `lingerMs`, a group starts that long after its first item instead,
 * for work nobody waits for, where fewer and larger commits matter more than their latency.
 * `commit` answers per item, or throws to fail the whole group with its error.
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private running = new Set<Promise<void>>();
  private scheduled = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<GroupOutcome<R>[]>,
    private readonly maxGroupSize: number,
    private readonly maxConcurrent = 1,
    private readonly lingerMs = 0,
  ) {
    for (const [name, value] of [
      ['maxGroupSize', maxGroupSize],
      ['maxConcurrent', maxConcurrent],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not ${value}`);
    }
    if (!(lingerMs >= 0)) throw new Error(`lingerMs must not be negative, not ${lingerMs}`);
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Commits everything waiting now, lingering or not, and resolves when no commit runs any more. */
  async flush(): Promise<void> {
    this.startCommits();
    while (this.running.size > 0) {
      await Promise.all(this.running);
      this.startCommits();
    }
  }

  /** One start per turn of the event loop (or per linger), and only when a commit slot is free. */
  private schedule(): void {
    if (this.scheduled || this.running.size >= this.maxConcurrent || this.waiting.length === 0) return;
    this.scheduled = true;
    const start = (): void => {
      this.scheduled = false;
      this.startCommits();
    };
    if (this.lingerMs > 0) setTimeout(start, this.lingerMs).unref();
    else setImmediate(start);
  }

  private startCommits(): void {
    while (this.running.size < this.maxConcurrent && this.waiting.length > 0) {
      const committing: Promise<void> = this.commitGroup(this.waiting.splice(0, this.maxGroupSize)).finally(() => {
        this.running.delete(committing);
        // What arrived while every slot was busy waits for its own start (or linger).
        this.schedule();
      });
      this.running.add(committing);
    }
  }

  private async commitGroup(group: Waiting<T, R>[]): Promise<void> {
    try {
      const outcomes = await this.commit(group.map((waiting) => waiting.item));
      if (outcomes.length !== group.length) {
        throw new Error(`a group commit answered ${outcomes.length} outcomes for ${group.length} items`);
      }
      group.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if ('error' in outcome) waiting.reject(outcome.error);
        else waiting.resolve(outcome.value);
      });
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
    }
  }
}

/**
 * Group commit without a bound on commits in flight: what is submitted in one turn of the event loop
 * goes in one call, and each turn's call goes at once. For commands that cost less as one (an MGET
 * for the GETs of concurrent callers) rather than for work that should wait for the previous group.
 */
export function batchPerTurn<T, R>(
  commit: (items: T[]) => Promise<GroupOutcome<R>[]>,
  maxGroupSize = 1000,
): GroupCommit<T, R> {
  return new GroupCommit(commit, maxGroupSize, Number.MAX_SAFE_INTEGER);
}
