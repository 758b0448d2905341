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
import { StageDispatcher, StageUseCase, TaskEventsPublisher } from '@app/pipeline';
import { CollectionStore, TaskRepository } from '@app/persistence';

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

/**
 * The collect stage of one task: every source not yet settled is fetched (several at once, each
 * with a timeout and retries); a source that keeps failing is recorded as failed and the others go
 * on. Then the records are cut into evaluate chunks and those are queued. A re-run after a crash
 * fetches only the sources that were not settled.
 */
@Injectable()
export class CollectTaskUseCase implements StageUseCase<CollectTaskJob> {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly collection: CollectionStore,
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
    @Inject(DATA_SOURCE_READER) private readonly reader: DataSourceReader,
    @Inject(COLLECT_OPTIONS) private readonly options: CollectOptions,
  ) {}

  async execute({ taskId }: CollectTaskJob, signal: AbortSignal): Promise<string> {
    const started = await this.tasks.start(taskId);
    if (!started) return 'skipped: task not found';
    if (started.status !== TaskStatus.RUNNING) return `skipped: task is ${started.status}`;
    if (started.stage !== TaskStage.COLLECT) {
      await this.dispatcher.dispatch(started);
      return `skipped: task is past collect (${started.stage})`;
    }
    const task = await this.tasks.findById(taskId);
    if (!task) return 'skipped: task not found';

    const settled = await this.collection.settledSourceIds(taskId);
    const pending = task.spec.sources.filter((source) => !settled.has(source.id));
    this.events.progress(started, `collecting ${pending.length} source(s)`);
    const outcomes = await mapWithConcurrency(pending, this.options.sourceConcurrency, (source) =>
      this.collectSource(taskId, source, signal),
    );

    const after = await this.collection.finishCollection(taskId, this.options.chunkSize);
    if (!after) return 'skipped: task vanished';
    await this.dispatcher.dispatch(after);
    this.events.progress(
      after,
      after.status === TaskStatus.FAILED ? 'every data source failed' : `collected ${after.recordsTotal} record(s)`,
    );
    const collected = outcomes.filter((outcome) => outcome === 'collected').length;
    const skipped = outcomes.filter((outcome) => outcome === 'skipped').length;
    const elsewhere = skipped > 0 ? `, ${skipped} settled by another run` : '';
    return `collected ${collected}/${pending.length} source(s)${elsewhere}, task ${after.status}/${after.stage}`;
  }

  /**
   * Fetches one source and settles it. Only the fetch's failure settles it as failed: a failure to
   * store (Postgres down) propagates, so that Bull retries the job instead of blaming the source.
   */
  private async collectSource(
    taskId: string,
    source: SourceSpec,
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
    const settled = await this.collection.saveCollected(
      { taskId, sourceId: source.id, attempts, durationMs: Date.now() - startedAt },
      records,
    );
    if (settled) this.events.progress(COLLECTING(taskId), `source ${source.id} collected (${records.length} records)`);
    return settled ? 'collected' : 'skipped';
  }
}

const COLLECTING = (taskId: string) => ({ id: taskId, status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
