import { GroupCommit } from '@app/common';
import type { DimensionResultDto, LlmUsage } from '@app/contracts';
import type { DimensionScores, DimensionThreshold, GenerationStore, ScoreRequest } from '@app/persistence';

/** A finished dimension to store, with what its summary cost. */
export interface DimensionSave {
  result: DimensionResultDto;
  usage: LlmUsage;
}

/**
 * The statements one generate job's dimensions make. They run in parallel, so they read their scores
 * in the same turn of the event loop, and their summaries, asked for together, tend to come back
 * together too: what is asked in one turn goes in one statement. A small task's generate job reads
 * its scores and the count of records passing every threshold (which the result needs once the
 * dimensions are done) in one statement where it took three, and stores its dimensions in one where
 * it took one each (ADR 30).
 */
export class DimensionStatements {
  private readonly scoreReads: GroupCommit<ScoreRequest, DimensionScores>;
  private readonly saves: GroupCommit<DimensionSave, void>;
  private passingAllCount: number | undefined;

  constructor(
    private readonly store: Pick<GenerationStore, 'dimensionScores' | 'countPassingAll' | 'saveDimensions'>,
    private readonly taskId: string,
    /** Of every dimension that has a threshold: what "passing all" means for the result. */
    private readonly thresholds: readonly DimensionThreshold[],
    dimensions: number,
  ) {
    const groupSize = Math.max(1, dimensions);
    this.scoreReads = new GroupCommit((requests) => this.readTogether(requests), groupSize);
    this.saves = new GroupCommit(async (saves) => {
      await this.store.saveDimensions(this.taskId, saves);
      return saves.map(() => ({ value: undefined }));
    }, groupSize);
  }

  readScores(dimensionId: string, threshold: number, limits: ScoreRequest['limits']): Promise<DimensionScores> {
    return this.scoreReads.submit({ dimensionId, threshold, limits });
  }

  /** Stores a finished dimension once and counts it done (GenerationStore.saveDimensions). */
  saveDimension(result: DimensionResultDto, usage: LlmUsage): Promise<void> {
    return this.saves.submit({ result, usage });
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
