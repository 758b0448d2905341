import type { FinishedDimension } from '@app/persistence';

/**
 * The dimensions a generate job has reported but not stored yet. A dimension is stored on its own
 * only when it has waited `lingerMs` and others are still being reported, so a re-run after a crash
 * redoes only those; the dimensions that finish together with the last one go with the result, in
 * the statement that ends the task. A small task's dimensions all finish within a few milliseconds
 * of each other, so they cost that statement alone instead of one more each.
 */
export class DimensionSaves {
  private pending: FinishedDimension[] = [];
  private timer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly save: (finished: FinishedDimension[]) => Promise<void>,
    private readonly lingerMs: number,
  ) {}

  add(finished: FinishedDimension): void {
    this.pending.push(finished);
    this.timer ??= setTimeout(() => void this.flush().catch(() => undefined), this.lingerMs);
  }

  /** Stores what is pending now; rejects when this or an earlier save failed. */
  flush(): Promise<void> {
    this.stopTimer();
    const batch = this.pending.splice(0);
    if (batch.length > 0) this.saving = this.saving.then(() => this.save(batch));
    return this.saving;
  }

  /**
   * Once every dimension is reported: what was not stored, for the statement that ends the task, after
   * the saves under way have landed. Rejects when a save failed: the job then fails and its re-run
   * reports the dimensions that save held.
   */
  async rest(): Promise<FinishedDimension[]> {
    this.stopTimer();
    await this.saving;
    return this.pending.splice(0);
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
