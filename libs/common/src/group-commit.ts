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
 * Group commit: items submitted while a commit is under way wait for it and then go together in the
 * next one, so N concurrent callers cost one commit's statements instead of N. An item alone is
 * committed at once (after the current turn of the event loop, so callers of the same turn share
 * it): under light load nothing waits, under heavy load the groups grow by themselves.
 * `commit` answers per item, or throws to fail the whole group with its error.
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private committing = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<GroupOutcome<R>[]>,
    private readonly maxGroupSize: number,
  ) {
    if (!Number.isInteger(maxGroupSize) || maxGroupSize < 1) {
      throw new Error(`maxGroupSize must be a positive integer, not ${maxGroupSize}`);
    }
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.committing) {
        this.committing = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.maxGroupSize);
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
    this.committing = false;
  }
}
