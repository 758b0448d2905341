import { Inject, Injectable, Optional } from '@nestjs/common';
import { mapWithConcurrency } from '@app/common';
import { EvaluateChunkJob } from '@app/contracts';
import { PipelineMetrics } from '@app/observability';
import type { LoadedTask, StageOutcome, StageUseCase } from '@app/pipeline';
import { done, skipped } from '@app/pipeline';
import type { ChunkRecord, RecordOutcome, TaskEntity, TaskState } from '@app/persistence';
import { EvaluationStore } from '@app/persistence';
import { UsageMeters } from '@app/llm';
import { RecordScorer } from './record-scorer';

export const RECORD_CONCURRENCY = Symbol('RECORD_CONCURRENCY');
export const SOFT_LIMIT_REACHED = 'not evaluated: the task reached its soft time limit';

/** What one evaluate job did: its chunk's records scored, or failed. */
export interface EvaluateDetail {
  chunk: number;
  evaluated: number;
  failed: number;
}

/**
 * The evaluate stage for one chunk of a task's records: each record scored on every dimension, the
 * outcomes stored with the chunk's marker in one transaction (the fan-in), and whoever stores the last
 * chunk moves the task on (the runner then queues the generate stage). A chunk that was stored already
 * is skipped, so a duplicated or re-run job never double-counts.
 */
@Injectable()
export class EvaluateChunkUseCase implements StageUseCase<EvaluateChunkJob, EvaluateDetail, ChunkRecord[]> {
  constructor(
    private readonly evaluations: EvaluationStore,
    private readonly scorer: RecordScorer,
    @Inject(RECORD_CONCURRENCY) private readonly recordConcurrency: number,
    @Optional() private readonly metrics?: PipelineMetrics,
  ) {}

  /** The task with the chunk's records, in one statement: a job's only read before its LLM calls. */
  async load({ taskId, chunk }: EvaluateChunkJob): Promise<LoadedTask<ChunkRecord[]> | undefined> {
    const loaded = await this.evaluations.loadChunk(taskId, chunk);
    return loaded && { task: loaded.task, work: loaded.records };
  }

  async execute(
    { taskId, chunk }: EvaluateChunkJob,
    task: TaskEntity,
    signal: AbortSignal,
    records: ChunkRecord[],
  ): Promise<StageOutcome<EvaluateDetail>> {
    // None: stored already (a chunk is never cut empty; were one, it is stored below and counts).
    if (records.length === 0 && (await this.evaluations.isChunkDone(taskId, chunk))) return skipped('already-done');
    const meters = new UsageMeters();
    // Past the soft time limit the task takes no new work: the chunk's records stay unscored. A record
    // that throws (rather than fails) stops its siblings before the job fails and is retried.
    const outcomes: RecordOutcome[] = task.softLimitedAt
      ? records.map(({ sourceId, recordId }) => ({ sourceId, recordId, error: SOFT_LIMIT_REACHED }))
      : await mapWithConcurrency(
          records,
          this.recordConcurrency,
          (record, _index, recordSignal) => this.scorer.score(record, task.spec, recordSignal, meters),
          { signal },
        );
    const after = await this.evaluations.saveChunk(taskId, chunk, outcomes, meters.usage);
    if (!after) return skipped('task-ended');
    const failed = outcomes.filter((outcome) => 'error' in outcome).length;
    this.metrics?.recordsEvaluated(outcomes.length - failed, failed);
    return done(after, { chunk, evaluated: outcomes.length - failed, failed });
  }

  describe({ chunk, evaluated, failed }: EvaluateDetail): string {
    return `chunk ${chunk}: ${evaluated}/${evaluated + failed} record(s) evaluated`;
  }

  progress(_task: TaskState, { chunk, evaluated, failed }: EvaluateDetail): string {
    return `chunk ${chunk}: ${evaluated} record(s) evaluated, ${failed} failed`;
  }
}
