import type { TaskStage, TaskStatus } from './task-status';

/** Broadcasts on the Nest Redis transport: every subscribed replica of every app receives them. */
export enum EventPattern {
  TASK_CANCELLED = 'task.cancelled',
  TASK_PROGRESS = 'task.progress',
}

export interface TaskCancelledEvent {
  taskId: string;
}

export interface TaskProgressEvent {
  taskId: string;
  status: TaskStatus;
  stage: TaskStage | null;
  /** What just happened, e.g. "source api1 collected (25 records)". */
  message: string;
  at: string;
}
