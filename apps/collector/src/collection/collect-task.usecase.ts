import { Inject, Injectable } from '@nestjs/common';
import { describeError, isAbortError, mapWithConcurrency, retry, timeoutSignal } from '@app/common';
import {
  CollectTaskJob,
  SourceSpec,
  DataSourceReader,
  ProviderError,
  SourceRecord,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import type { StageOutcome, StageUseCase } from '@app/pipeline';
import { done, skipped, TaskEventsPublisher } from '@app/pipeline';
import type { CollectedRecord, TaskEntity, TaskState } from '@app/persistence';
import { CollectionStore } from '@app/persistence';
import { ProcessingChain } from '@app/processing';
import { chainSourceRecords } from './chain-source-records';

export const DATA_SOURCE_READER = Symbol('DATA_SOURCE_READER');
export const COLLECT_OPTIONS = Symbol('COLLECT_OPTIONS');

export interface CollectOptions {
  sourceConcurrency: number;
  sourceTimeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  chunkSize: number;
}

/** What one collect job did: sources fetched and stored, failed, or settled by another run meanwhile. */
export interface CollectDetail {
  pending: number;
  collected: number;
  failed: number;
  settledElsewhere: number;
}

/**
 * The collect stage of one task: every source not yet settled is fetched (several at once, each
 * with a timeout and retries) and its records put through the task's processing chain before they
 * are stored; a source that keeps failing is recorded as failed and the others go on. Then the
 * records left for the LLM are cut into evaluate chunks and those are queued. A re-run after a crash
 * fetches only the sources that were not settled.
 */
@Injectable()
export class CollectTaskUseCase implements StageUseCase<CollectTaskJob, CollectDetail> {
  constructor(
    private readonly collection: CollectionStore,
    private readonly events: TaskEventsPublisher,
    @Inject(DATA_SOURCE_READER) private readonly reader: DataSourceReader,
    @Inject(COLLECT_OPTIONS) private readonly options: CollectOptions,
  ) {}

  async execute(
    { taskId }: CollectTaskJob,
    task: TaskEntity,
    signal: AbortSignal,
  ): Promise<StageOutcome<CollectDetail>> {
    const settled = await this.collection.settledSourceIds(taskId);
    const pending = task.spec.sources.filter((source) => !settled.has(source.id));
    this.events.progress(task, `collecting ${pending.length} source(s)`);
    const chain = new ProcessingChain(task.spec.processing);
    // LLM enrichments run in the evaluate stage too: records that have one wait there.
    const evaluate = task.spec.dimensions.length > 0 || chain.llmEnrichments.length > 0;
    const outcomes = await mapWithConcurrency(pending, this.options.sourceConcurrency, (source) =>
      this.collectSource(
        taskId,
        source,
        (records) => chainSourceRecords(chain, source.id, records, { evaluate, now: new Date() }),
        signal,
      ),
    );

    const after = await this.collection.finishCollection(taskId, this.options.chunkSize);
    if (!after) return skipped('task-ended');
    const count = (wanted: string) => outcomes.filter((outcome) => outcome === wanted).length;
    return done(after, {
      pending: pending.length,
      collected: count('collected'),
      failed: count('failed'),
      settledElsewhere: count('skipped'),
    });
  }

  describe({ pending, collected, settledElsewhere }: CollectDetail): string {
    const elsewhere = settledElsewhere > 0 ? `, ${settledElsewhere} settled by another run` : '';
    return `collected ${collected}/${pending} source(s)${elsewhere}`;
  }

  progress(task: TaskState): string {
    return task.status === TaskStatus.FAILED ? 'every data source failed' : `collected ${task.recordsTotal} record(s)`;
  }

  /**
   * Fetches one source and settles it. Only the fetch's failure settles it as failed: a failure to
   * store (Postgres down) propagates, so that Bull retries the job instead of blaming the source.
   */
  private async collectSource(
    taskId: string,
    source: SourceSpec,
    process: (records: SourceRecord[]) => { records: CollectedRecord[]; dropped: number },
    signal: AbortSignal,
  ): Promise<'collected' | 'failed' | 'skipped'> {
    const startedAt = Date.now();
    let attempts = 0;
    let records: SourceRecord[];
    try {
      records = await retry(
        (attempt, attemptSignal) => {
          attempts = attempt;
          return this.reader.fetch(source, timeoutSignal(attemptSignal, this.options.sourceTimeoutMs));
        },
        {
          maxAttempts: this.options.maxAttempts,
          baseDelayMs: this.options.baseDelayMs,
          maxDelayMs: this.options.maxDelayMs,
          signal,
          // A timed-out attempt is worth another try; the task's own abort is not (retry stops on it).
          isRetryable: (error) => (error instanceof ProviderError ? error.retryable : isAbortError(error)),
        },
      );
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const reason = isAbortError(error) ? `timed out after ${this.options.sourceTimeoutMs} ms` : describeError(error);
      const message = `source ${source.id} failed after ${attempts} attempt(s): ${reason}`;
      const settled = await this.collection.saveFailed(
        { taskId, sourceId: source.id, attempts, durationMs: Date.now() - startedAt },
        message,
      );
      if (settled) this.events.progress(COLLECTING(taskId), message);
      return settled ? 'failed' : 'skipped';
    }
    const processed = process(records);
    const settled = await this.collection.saveCollected(
      { taskId, sourceId: source.id, attempts, durationMs: Date.now() - startedAt },
      processed.records,
      processed.dropped,
    );
    const dropped = processed.dropped > 0 ? `, ${processed.dropped} dropped by the chain` : '';
    if (settled)
      this.events.progress(COLLECTING(taskId), `source ${source.id} collected (${records.length} records${dropped})`);
    return settled ? 'collected' : 'skipped';
  }
}

const COLLECTING = (taskId: string) => ({ id: taskId, status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
