/** What one admission reserved: how many fit, the active tasks it was decided on, and its settlement. */
export interface Reservation {
  /** How many of the wanted tasks were admitted (the first of them, in order). */
  fit: number;
  /** The active tasks the decision counted, before this reservation. */
  active: number;
  /** Ends the reservation: `stored` when its tasks are stored and queued, false when they were not. */
  settle(stored: boolean): void;
}

/**
 * The deployment's active tasks as one gateway knows them without a count per submission: the last
 * count (at most `maxAgeMs` old), what this replica stored since that count began, and what it has
 * admitted and is storing now. For this replica's own submissions that is an upper bound (tasks only
 * end between counts); what it misses is other replicas' admissions since the count, which a count per
 * submission would miss as well while they are being stored. A submission that would not fit is
 * decided on a fresh count, so a 429 never comes from a stale one.
 */
export class ActiveTaskLedger {
  private counted = 0;
  private countedAt = Number.NEGATIVE_INFINITY;
  /** Stored since the last count began: some may be in that count as well (counted twice, never missed). */
  private storedSinceCount = 0;
  /** Admitted, not settled yet: stored or not, in the last count or not. */
  private reserved = 0;
  private counting?: Promise<void>;

  constructor(
    private readonly countActive: () => Promise<number>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Admits as many of `wanted` as fit under `max` (all or none unless `partial`) and reserves them
   * until settled, so concurrent admissions see each other.
   */
  async reserve(wanted: number, max: number, { partial }: { partial: boolean }): Promise<Reservation> {
    let fresh = false;
    if (this.now() - this.countedAt > this.maxAgeMs) {
      await this.recount();
      fresh = true;
    }
    if (!fresh && this.active() + wanted > max) await this.recount();
    const active = this.active();
    const room = Math.max(0, max - active);
    const fit = partial ? Math.min(wanted, room) : wanted <= room ? wanted : 0;
    this.reserved += fit;
    let settled = false;
    return {
      fit,
      active,
      settle: (stored) => {
        if (settled) return;
        settled = true;
        this.reserved -= fit;
        if (stored) this.storedSinceCount += fit;
      },
    };
  }

  private active(): number {
    return this.counted + this.storedSinceCount + this.reserved;
  }

  /** One count at a time; callers that need one while it runs share it. */
  private recount(): Promise<void> {
    this.counting ??= (async () => {
      const startedAt = this.now();
      const storedBefore = this.storedSinceCount;
      try {
        this.counted = await this.countActive();
        this.countedAt = startedAt;
        this.storedSinceCount -= storedBefore;
      } finally {
        this.counting = undefined;
      }
    })();
    return this.counting;
  }
}
