import { InjectQueue } from '@nestjs/bull';
import { Injectable } from '@nestjs/common';
import { Queue } from 'bull';
import {
  CollectTaskJob,
  EvaluateChunkJob,
  GenerateResultJob,
  jobIds,
  JobName,
  QueueName,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import { EvaluationStore, TaskState } from '@app/persistence';
import { mapWithConcurrency } from '@app/common';

const DISCARD_CONCURRENCY = 16;

/**
 * Puts a task's current stage on its queue. Job ids are derived from the task, so calling this again
 * for the same state (after a crash, from the recovery sweep, from a duplicated job) adds nothing
 * while the earlier job is still in Redis, and a job that runs again finds its work done in Postgres.
 */
@Injectable()
export class StageDispatcher {
  constructor(
    @InjectQueue(QueueName.COLLECT) private readonly collectQueue: Queue<CollectTaskJob>,
    @InjectQueue(QueueName.EVALUATE) private readonly evaluateQueue: Queue<EvaluateChunkJob>,
    @InjectQueue(QueueName.GENERATE) private readonly generateQueue: Queue<GenerateResultJob>,
    private readonly evaluations: EvaluationStore,
  ) {}

  async dispatch(task: TaskState): Promise<void> {
    if (task.status !== TaskStatus.PENDING && task.status !== TaskStatus.RUNNING) return;
    switch (task.stage) {
      case TaskStage.COLLECT:
        await this.collectQueue.add(JobName.COLLECT_TASK, { taskId: task.id }, { jobId: jobIds.collect(task.id) });
        return;
      case TaskStage.EVALUATE: {
        const chunks = await this.evaluations.unfinishedChunks(task.id, task.chunksTotal ?? 0);
        await this.evaluateQueue.addBulk(
          chunks.map((chunk) => ({
            name: JobName.EVALUATE_CHUNK,
            data: { taskId: task.id, chunk },
            opts: { jobId: jobIds.evaluate(task.id, chunk) },
          })),
        );
        return;
      }
      case TaskStage.GENERATE:
        await this.generateQueue.add(JobName.GENERATE_RESULT, { taskId: task.id }, { jobId: jobIds.generate(task.id) });
        return;
      default:
        return;
    }
  }

  /** Drops a cancelled task's jobs that are still waiting; jobs already running stop on the broadcast. */
  async discardQueued(taskId: string, chunksTotal: number | null): Promise<void> {
    const ids: [Queue, string][] = [
      [this.collectQueue, jobIds.collect(taskId)],
      [this.generateQueue, jobIds.generate(taskId)],
      ...Array.from({ length: chunksTotal ?? 0 }, (_, chunk): [Queue, string] => [this.evaluateQueue, jobIds.evaluate(taskId, chunk)]),
    ];
    await mapWithConcurrency(ids, DISCARD_CONCURRENCY, async ([queue, id]) => {
      const job = await queue.getJob(id);
      // A job that turned active meanwhile is locked and cannot be removed: it stops on the broadcast.
      if (job && ((await job.isWaiting()) || (await job.isDelayed()))) await job.remove().catch(() => undefined);
    });
  }
}
