import { Inject, Injectable } from '@nestjs/common';
import { mapWithConcurrency } from '@app/common';
import { EvaluateChunkJob, TaskStage, TaskStatus } from '@app/contracts';
import { StageDispatcher, StageUseCase, TaskEventsPublisher } from '@app/pipeline';
import { EvaluationStore, TaskRepository } from '@app/persistence';
import { RecordScorer } from './record-scorer';

export const RECORD_CONCURRENCY = Symbol('RECORD_CONCURRENCY');

/**
 * The evaluate stage for one chunk of a task's records: each record scored on every dimension, the
 * outcomes stored with the chunk's marker in one transaction (the fan-in), and whoever stores the last
 * chunk queues the generate stage. A chunk that was stored already only makes sure the next stage is
 * queued, so a duplicated or re-run job neither double-counts nor leaves the task stuck.
 */
@Injectable()
export class EvaluateChunkUseCase implements StageUseCase<EvaluateChunkJob> {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly evaluations: EvaluationStore,
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
    private readonly scorer: RecordScorer,
    @Inject(RECORD_CONCURRENCY) private readonly recordConcurrency: number,
  ) {}

  async execute({ taskId, chunk }: EvaluateChunkJob, signal: AbortSignal): Promise<string> {
    const task = await this.tasks.findById(taskId);
    if (!task) return 'skipped: task not found';
    if (task.status !== TaskStatus.RUNNING) return `skipped: task is ${task.status}`;
    if (task.stage !== TaskStage.EVALUATE) {
      // The last chunk's run may have died between moving the task on and queueing the next stage.
      await this.dispatcher.dispatch(task);
      return `skipped: task is past evaluate (${task.stage})`;
    }
    if (await this.evaluations.isChunkDone(taskId, chunk)) return `skipped: chunk ${chunk} already counted`;

    const records = await this.evaluations.chunkRecords(taskId, chunk);
    const outcomes = await mapWithConcurrency(records, this.recordConcurrency, (record) =>
      this.scorer.score(record, task.spec, signal),
    );
    const after = await this.evaluations.saveChunk(taskId, chunk, outcomes);
    if (!after) return 'skipped: task vanished';
    if (after.stage !== TaskStage.EVALUATE) await this.dispatcher.dispatch(after);

    const failed = outcomes.filter((outcome) => 'error' in outcome).length;
    this.events.progress(after, `chunk ${chunk}: ${outcomes.length - failed} record(s) evaluated, ${failed} failed`);
    return `chunk ${chunk}: ${outcomes.length - failed}/${outcomes.length} record(s) evaluated, task ${after.status}/${after.stage}`;
  }
}
