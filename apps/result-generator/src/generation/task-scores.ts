import { GroupCommit } from '@app/common';
import type { DimensionScores, DimensionThreshold, GenerationStore, ScoreRequest } from '@app/persistence';

/**
 * The score reads of one generate job. Its dimensions, reported in parallel, ask in the same turn of
 * the event loop, and one statement answers them all together with the count of records passing
 * every threshold, which the result needs once they are done: one statement where a small task took
 * three (ADR 30).
 */
export class TaskScores {
  private readonly reads: GroupCommit<ScoreRequest, DimensionScores>;
  private passingAllCount: number | undefined;

  constructor(
    private readonly store: Pick<GenerationStore, 'dimensionScores' | 'countPassingAll'>,
    private readonly taskId: string,
    /** Of every dimension that has a threshold: what "passing all" means for the result. */
    private readonly thresholds: readonly DimensionThreshold[],
    dimensions: number,
  ) {
    this.reads = new GroupCommit((requests) => this.readTogether(requests), Math.max(1, dimensions));
  }

  read(dimensionId: string, threshold: number, limits: ScoreRequest['limits']): Promise<DimensionScores> {
    return this.reads.submit({ dimensionId, threshold, limits });
  }

  /** Evaluated records passing every threshold: counted by a score read already, or now. */
  async passingAll(): Promise<number> {
    return this.passingAllCount ?? this.store.countPassingAll(this.taskId, this.thresholds);
  }

  private async readTogether(requests: ScoreRequest[]): Promise<{ value: DimensionScores }[]> {
    const read = await this.store.dimensionScores(this.taskId, requests, this.thresholds);
    // The records of a task in generate are final, so one count holds for the whole job.
    this.passingAllCount = read.passingAll;
    return requests.map(({ dimensionId }) => {
      const scores = read.byDimension.get(dimensionId);
      if (!scores) throw new Error(`no scores read for dimension ${dimensionId}`);
      return { value: scores };
    });
  }
}
