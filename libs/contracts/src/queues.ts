import { TaskStage } from './task-status';

/** One Bull queue per stage; every producer and consumer compiles against these names. */
export enum QueueName {
  COLLECT = 'collect',
  EVALUATE = 'evaluate',
  GENERATE = 'generate',
}

export enum JobName {
  COLLECT_TASK = 'collect-task',
  EVALUATE_CHUNK = 'evaluate-chunk',
  GENERATE_RESULT = 'generate-result',
}

/** The queue and the one job name of each stage. */
export const STAGE_QUEUES = {
  [TaskStage.COLLECT]: { queue: QueueName.COLLECT, jobName: JobName.COLLECT_TASK },
  [TaskStage.EVALUATE]: { queue: QueueName.EVALUATE, jobName: JobName.EVALUATE_CHUNK },
  [TaskStage.GENERATE]: { queue: QueueName.GENERATE, jobName: JobName.GENERATE_RESULT },
} as const;

/** What every stage job carries. */
export interface StageJob {
  taskId: string;
}

export type CollectTaskJob = StageJob;

export interface EvaluateChunkJob extends StageJob {
  chunk: number;
  /**
   * Every chunk below it was stored when the job was queued (the lowest unfinished one then): where
   * the search for the task's next chunks starts once this one is done (ADR 32). Absent in jobs
   * queued before it existed: the search starts at 0.
   */
  storedBelow?: number;
}

export type GenerateResultJob = StageJob;

/**
 * Deterministic job ids: enqueueing the same work twice while the first job is still in Redis is a
 * no-op, so every "make sure the next stage is queued" call can be repeated safely.
 */
export const jobIds = {
  collect: (taskId: string): string => `${taskId}:collect`,
  evaluate: (taskId: string, chunk: number): string => `${taskId}:evaluate:${chunk}`,
  generate: (taskId: string): string => `${taskId}:generate`,
};
