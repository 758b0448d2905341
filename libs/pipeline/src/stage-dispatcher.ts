import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bull';
import {
  CollectTaskJob,
  EvaluateChunkJob,
  GenerateResultJob,
  JOB_PRIORITY,
  jobIds,
  JobName,
  QueueName,
  STAGE_QUEUES,
  StageJob,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import { EvaluationStore, TaskState } from '@app/persistence';
import { mapWithConcurrency } from '@app/common';

/** Redis look-ups of single jobs in flight at once. */
const LOOKUP_CONCURRENCY = 16;

/** Injection token of the number of a task's chunks queued at once (QueueOptions.chunkWindow). */
export const CHUNK_WINDOW = Symbol('CHUNK_WINDOW');

/**
 * Puts a task's current stage on its queue. Job ids are derived from the task, so calling this again
 * for the same state (after a crash, from the recovery sweep, from a duplicated job) adds nothing
 * while the earlier job is still in Redis, and a job that runs again finds its work done in Postgres.
 *
 * The evaluate stage goes on the queue a window at a time: the lowest `chunkWindow` unfinished chunks.
 * Each finished chunk dispatches again, which adds the next one behind whatever other tasks queued
 * meanwhile — so tasks take turns on the evaluators instead of each waiting for every chunk before it.
 * Each evaluate job carries the lowest chunk unfinished when it was queued (every one below it was
 * stored), and the search for the window after it starts there (ADR 32).
 */
@Injectable()
export class StageDispatcher {
  private readonly queues: Record<TaskStage, Queue>;

  constructor(
    @InjectQueue(QueueName.COLLECT) collectQueue: Queue<CollectTaskJob>,
    @InjectQueue(QueueName.EVALUATE) evaluateQueue: Queue<EvaluateChunkJob>,
    @InjectQueue(QueueName.GENERATE) generateQueue: Queue<GenerateResultJob>,
    private readonly evaluations: EvaluationStore,
    @Inject(CHUNK_WINDOW) private readonly chunkWindow: number,
  ) {
    this.queues = {
      [TaskStage.COLLECT]: collectQueue,
      [TaskStage.EVALUATE]: evaluateQueue,
      [TaskStage.GENERATE]: generateQueue,
    };
  }

  /** `finished`: the job of the task that just ended, if any (an evaluate job says where its window search starts). */
  async dispatch(task: TaskState, finished?: StageJob): Promise<void> {
    await this.dispatchAll([task], finished);
  }

  /** dispatch() for many tasks at once (a batch): one addBulk per queue instead of one per task. */
  async dispatchAll(tasks: readonly TaskState[], finished?: StageJob): Promise<void> {
    const byQueue = new Map<Queue, { name: JobName; data: StageJob; opts: { jobId: string; priority: number } }[]>();
    for (const task of tasks) {
      const priority = JOB_PRIORITY[task.priority];
      for (const { queue, name, data, id } of await this.jobsFor(task, finished)) {
        const jobs = byQueue.get(queue) ?? [];
        jobs.push({ name, data, opts: { jobId: id, priority } });
        byQueue.set(queue, jobs);
      }
    }
    await Promise.all([...byQueue].map(([queue, jobs]) => queue.addBulk(jobs)));
  }

  /**
   * dispatch() for the recovery sweep: a job Bull gave up on stays in Redis as failed, and its id
   * would make a new enqueue a no-op. When that happened to an active task (failing the task itself
   * did not go through, say Postgres was down), the failed job is retried so the work runs again.
   */
  async redispatch(task: TaskState): Promise<void> {
    const jobs = await this.jobsFor(task);
    await mapWithConcurrency(jobs, LOOKUP_CONCURRENCY, async ({ queue, id }) => {
      const job = await queue.getJob(id);
      if (job && (await job.isFailed())) await job.retry();
    });
    await this.dispatch(task);
  }

  /** The jobs a task's current stage consists of; none for an ended task. */
  private async jobsFor(
    task: TaskState,
    finished?: StageJob,
  ): Promise<{ queue: Queue; name: JobName; data: StageJob; id: string }[]> {
    if ((task.status !== TaskStatus.PENDING && task.status !== TaskStatus.RUNNING) || task.stage === null) return [];
    const queue = this.queues[task.stage];
    const { jobName: name } = STAGE_QUEUES[task.stage];
    switch (task.stage) {
      case TaskStage.COLLECT:
        return [{ queue, name, data: { taskId: task.id }, id: jobIds.collect(task.id) }];
      case TaskStage.EVALUATE: {
        const chunks = await this.windowOfUnfinishedChunks(task, searchStart(task, finished));
        // The lowest of them: every chunk below it is stored, now and for good.
        const data = (chunk: number): EvaluateChunkJob => ({ taskId: task.id, chunk, storedBelow: chunks[0] });
        return chunks.map((chunk) => ({ queue, name, data: data(chunk), id: jobIds.evaluate(task.id, chunk) }));
      }
      case TaskStage.GENERATE:
        return [{ queue, name, data: { taskId: task.id }, id: jobIds.generate(task.id) }];
    }
  }

  /**
   * The lowest `chunkWindow` chunks the task has not stored, searched from `storedBelow` (every chunk
   * below it is stored). With none stored (the collect stage has just ended, for most dispatches),
   * they are the first ones, and Postgres is not asked: a chunk stored since the state was read would
   * only be queued again, and its job finds it done.
   */
  private async windowOfUnfinishedChunks(task: TaskState, storedBelow: number): Promise<number[]> {
    const progress = { chunksTotal: task.chunksTotal ?? 0, chunksDone: task.chunksDone };
    if (progress.chunksDone === 0) {
      return Array.from({ length: Math.min(progress.chunksTotal, this.chunkWindow) }, (_, chunk) => chunk);
    }
    return this.evaluations.unfinishedChunks(task.id, progress, this.chunkWindow, storedBelow);
  }

  /**
   * Drops a cancelled task's jobs that are still waiting or delayed; jobs already running stop on the
   * broadcast. One read of each queue's wait list and delayed set finds them (every job id starts with
   * the task's id): a look-up per chunk asked Redis to scan the whole wait list for each chunk, seconds
   * for a big task's thousands of chunks. `chunksTotal` says whether the evaluate queue can hold any.
   */
  async discardQueued(taskId: string, chunksTotal: number | null): Promise<void> {
    const stages = [TaskStage.COLLECT, TaskStage.GENERATE, ...(chunksTotal ? [TaskStage.EVALUATE] : [])];
    const queued = await Promise.all(
      stages.map(async (stage): Promise<[Queue, string][]> => {
        const queue = this.queues[stage];
        const [waiting, delayed] = await Promise.all([
          queue.client.lrange(queue.toKey('wait'), 0, -1),
          queue.client.zrange(queue.toKey('delayed'), 0, -1),
        ]);
        return [...waiting, ...delayed].filter((id) => id.startsWith(`${taskId}:`)).map((id) => [queue, id]);
      }),
    );
    await mapWithConcurrency(queued.flat(), LOOKUP_CONCURRENCY, async ([queue, id]) => {
      const job = await queue.getJob(id);
      // A job that turned active meanwhile is locked and cannot be removed: it stops on the broadcast.
      await job?.remove().catch(() => undefined);
    });
  }

  /**
   * Removes every job an ended task ever had, in any state, stage by stage: a job still in hand is
   * locked, so it is waited for (it stops on the cancel broadcast) — and a job in hand may queue the
   * next stage's jobs as it ends, which is why the stages are cleared in their order. Returns the ids
   * of the jobs still there at the deadline (none, unless a worker hangs).
   */
  async removeAll(taskId: string, chunksTotal: number | null, deadlineMs: number): Promise<string[]> {
    const deadline = Date.now() + deadlineMs;
    const left: string[] = [];
    for (const stage of [TaskStage.COLLECT, TaskStage.EVALUATE, TaskStage.GENERATE]) {
      const ids = this.allJobsOf(taskId, chunksTotal).filter(([queue]) => queue === this.queues[stage]);
      await mapWithConcurrency(ids, LOOKUP_CONCURRENCY, async ([queue, id]) => {
        if (!(await removeWhenUnlocked(queue, id, deadline))) left.push(id);
      });
    }
    return left;
  }

  private allJobsOf(taskId: string, chunksTotal: number | null): [Queue, string][] {
    return [
      [this.queues[TaskStage.COLLECT], jobIds.collect(taskId)],
      ...Array.from({ length: chunksTotal ?? 0 }, (_, chunk): [Queue, string] => [
        this.queues[TaskStage.EVALUATE],
        jobIds.evaluate(taskId, chunk),
      ]),
      [this.queues[TaskStage.GENERATE], jobIds.generate(taskId)],
    ];
  }
}

/**
 * Where the task's window search may start: the finished evaluate job's `storedBelow`, when it is
 * that task's and a chunk number; otherwise (another stage's job, a job queued before the field
 * existed, none) the first chunk.
 */
function searchStart(task: TaskState, finished: StageJob | undefined): number {
  if (finished?.taskId !== task.id) return 0;
  const from: unknown = (finished as Partial<EvaluateChunkJob>).storedBelow;
  return typeof from === 'number' && Number.isSafeInteger(from) && from >= 0 ? from : 0;
}

const REMOVE_POLL_MS = 100;

/** Removes the job once no worker holds its lock; true when it is gone (or never was there). */
async function removeWhenUnlocked(queue: Queue, id: string, deadline: number): Promise<boolean> {
  for (;;) {
    const job = await queue.getJob(id);
    if (!job) return true;
    // Bull refuses to remove a locked (active) job; anything else goes at once.
    const removed = await job.remove().then(
      () => true,
      () => false,
    );
    if (removed) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, REMOVE_POLL_MS));
  }
}
