import { Inject, Injectable } from '@nestjs/common';
import { describeError, isAbortError, LinkedAbortController, mapWithConcurrency, retry } from '@app/common';
import type { CollectTaskJob, DataSourceReader, SourceRecord, SourceSpec } from '@app/contracts';
import { ProviderError, TaskStage, TaskStatus } from '@app/contracts';
import type { LoadedTask, StageOutcome, StageUseCase } from '@app/pipeline';
import { done, skipped, TaskEventsPublisher } from '@app/pipeline';
import type { CollectedRecord, CollectionOpening, SourceSettlement, TaskEntity, TaskState } from '@app/persistence';
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
 * The collect stage of one task: every source not yet settled is read (several at once, each
 * with a timeout and retries), its records put through the task's processing chain and stored batch
 * by batch as they stream in; a source that keeps failing is recorded as failed and the others go on. Then the
 * records left for the LLM are cut into evaluate chunks and those are queued. A re-run after a crash
 * fetches only the sources that were not settled.
 */
@Injectable()
export class CollectTaskUseCase implements StageUseCase<CollectTaskJob, CollectDetail, CollectionOpening> {
  constructor(
    private readonly collection: CollectionStore,
    private readonly events: TaskEventsPublisher,
    @Inject(DATA_SOURCE_READER) private readonly reader: DataSourceReader,
    @Inject(COLLECT_OPTIONS) private readonly options: CollectOptions,
  ) {}

  /** The task, started when it was pending, with the job's opening of its collection: one statement. */
  async load({ taskId }: CollectTaskJob): Promise<LoadedTask<CollectionOpening> | undefined> {
    const loaded = await this.collection.startCollection(taskId);
    return loaded && { task: loaded.task, work: loaded.opening };
  }

  async execute(
    { taskId }: CollectTaskJob,
    task: TaskEntity,
    signal: AbortSignal,
    { open, settled }: CollectionOpening,
  ): Promise<StageOutcome<CollectDetail>> {
    const pending = task.spec.sources.filter((source) => !settled.has(source.id));
    this.events.progress(task, `collecting ${pending.length} source(s)`);
    const chain = new ProcessingChain(task.spec.processing);
    // LLM enrichments run in the evaluate stage too: records that have one wait there.
    const evaluate = task.spec.dimensions.length > 0 || chain.llmEnrichments.length > 0;
    const outcomes = await mapWithConcurrency(
      pending,
      this.options.sourceConcurrency,
      (source, index, sourceSignal) =>
        this.collectSource(
          taskId,
          source,
          (records) => chainSourceRecords(chain, source.id, records, { evaluate, now: new Date() }),
          sourceSignal,
          // The sources that start at once go by the job's own opening; a later one opens at its start.
          index < this.options.sourceConcurrency ? open : undefined,
        ),
      { signal },
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
   * Reads one source, putting each batch through the processing chain and storing it as it streams
   * in (a source is never held whole), then settles it. Only the source's failure settles it as
   * failed: a failure to store (Postgres down) propagates, so that Bull retries the job instead of
   * blaming the source. Each attempt starts afresh. `opened`: whether the job's opening found the task
   * taking new work, for a source that starts with the job (undefined: it opens itself).
   */
  private async collectSource(
    taskId: string,
    source: SourceSpec,
    process: (records: SourceRecord[]) => { records: CollectedRecord[]; dropped: number },
    signal: AbortSignal,
    opened: boolean | undefined,
  ): Promise<'collected' | 'failed' | 'skipped'> {
    const startedAt = Date.now();
    // Past the soft time limit the task takes no new work: a source not fetched yet stays unfetched.
    if (!(opened ?? (await this.collection.openSource(taskId, source.id)))) {
      const message = `source ${source.id} not fetched: the task reached its soft time limit`;
      return this.settleFailed({ taskId, sourceId: source.id, attempts: 0, durationMs: 0 }, message);
    }
    let attempts = 0;
    let stored = 0;
    let dropped = 0;
    // The batch read last is held back: it is stored with the settlement, in one statement.
    let last: CollectedRecord[] = [];
    try {
      await retry(
        async (attempt, attemptSignal) => {
          attempts = attempt;
          stored = 0;
          dropped = 0;
          last = [];
          // Opening the source dropped what an earlier run left before the first attempt.
          if (attempt > 1) await store(() => this.collection.discardUnsettled(taskId, source.id));
          const deadline = new LinkedAbortController([attemptSignal], this.options.sourceTimeoutMs);
          try {
            for await (const batch of this.reader.read(source, deadline.signal)) {
              const processed = process(batch);
              if (last.length > 0) {
                const held = last;
                if (!(await store(() => this.collection.saveBatch(taskId, source.id, stored, held)))) {
                  throw new SourceClosed();
                }
                stored += held.length;
              }
              last = processed.records;
              dropped += processed.dropped;
            }
          } finally {
            deadline.release();
          }
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
      if (error instanceof StorageFailure) throw error.cause;
      if (error instanceof SourceClosed) return 'skipped';
      const reason = isAbortError(error) ? `timed out after ${this.options.sourceTimeoutMs} ms` : describeError(error);
      const message = `source ${source.id} failed after ${attempts} attempt(s): ${reason}`;
      return this.settleFailed({ taskId, sourceId: source.id, attempts, durationMs: Date.now() - startedAt }, message);
    }
    const settled = await this.collection.saveCollected(
      { taskId, sourceId: source.id, attempts, durationMs: Date.now() - startedAt },
      { offered: stored + last.length, dropped },
      { position: stored, records: last },
    );
    if (!settled) return 'skipped';
    const droppedNote = settled.dropped > 0 ? `, ${settled.dropped} dropped by the chain` : '';
    this.events.progress(
      COLLECTING(taskId),
      `source ${source.id} collected (${settled.records} records${droppedNote})`,
    );
    return 'collected';
  }

  private async settleFailed(settlement: SourceSettlement, message: string): Promise<'failed' | 'skipped'> {
    const settled = await this.collection.saveFailed(settlement, message);
    if (settled) this.events.progress(COLLECTING(settlement.taskId), message);
    return settled ? 'failed' : 'skipped';
  }
}

/** A store call failed: the service's trouble, not the source's. */
class StorageFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('storing a source failed', { cause });
    this.name = 'StorageFailure';
  }
}

/** The task ended, or another run settled the source, while it streamed in: stop reading it. */
class SourceClosed extends Error {
  constructor() {
    super('the task ended or the source was settled meanwhile');
    this.name = 'SourceClosed';
  }
}

async function store<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw new StorageFailure(error);
  }
}

const COLLECTING = (taskId: string) => ({ id: taskId, status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
