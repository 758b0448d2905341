/**
 * Lifecycle of a task. `stage` says where a RUNNING task is; the status says how it ended.
 * Terminal statuses never change again (every write that moves a task is guarded on its status).
 */
export enum TaskStatus {
  PENDING = 'pending',
  RUNNING = 'running',
  COMPLETED = 'completed',
  COMPLETED_WITH_ERRORS = 'completed_with_errors',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
}

export enum TaskStage {
  COLLECT = 'collect',
  EVALUATE = 'evaluate',
  GENERATE = 'generate',
}

export const TERMINAL_STATUSES: readonly TaskStatus[] = [
  TaskStatus.COMPLETED,
  TaskStatus.COMPLETED_WITH_ERRORS,
  TaskStatus.FAILED,
  TaskStatus.CANCELLED,
];

export const ACTIVE_STATUSES: readonly TaskStatus[] = [TaskStatus.PENDING, TaskStatus.RUNNING];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export enum SourceOutcome {
  COLLECTED = 'collected',
  FAILED = 'failed',
}

export enum RecordEvaluationStatus {
  /** Waiting for the LLM. */
  PENDING = 'pending',
  EVALUATED = 'evaluated',
  /** Through its processing chain, in a task without dimensions: nothing more to do. */
  PROCESSED = 'processed',
  /** Refused by its processing chain or by the LLM; `error` says why. */
  FAILED = 'failed',
}
