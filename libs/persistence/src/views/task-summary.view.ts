import type { TaskProgressDto, TaskSummaryDto } from '@app/contracts';
import type { TaskEntity } from '../entities';
import type { TaskSummaryRow } from '../repositories/task-query.store';

type ProgressCounters = Pick<
  TaskEntity,
  | 'sourcesTotal'
  | 'sourcesCollected'
  | 'sourcesFailed'
  | 'recordsTotal'
  | 'recordsEvaluated'
  | 'recordsFailed'
  | 'recordsDropped'
  | 'dimensionsTotal'
  | 'dimensionsDone'
>;

/** The counters under the snake_case names every view (GET, lists, live events, webhooks) uses. */
export function toProgress(task: ProgressCounters): TaskProgressDto {
  return {
    sources_total: task.sourcesTotal,
    sources_collected: task.sourcesCollected,
    sources_failed: task.sourcesFailed,
    records_total: task.recordsTotal,
    records_evaluated: task.recordsEvaluated,
    records_failed: task.recordsFailed,
    records_dropped: task.recordsDropped,
    dimensions_total: task.dimensionsTotal,
    dimensions_done: task.dimensionsDone,
  };
}

/** A task as lists, live events and its end's webhook show it: everything but its request and result. */
export function toTaskSummary(task: TaskSummaryRow | TaskEntity): TaskSummaryDto {
  return {
    id: task.id,
    status: task.status,
    stage: task.stage,
    progress: toProgress(task),
    labels: task.labels,
    priority: task.priority,
    limits: { soft_seconds: task.softLimitS, hard_seconds: task.hardLimitS },
    soft_limit_reached_at: task.softLimitedAt?.toISOString() ?? null,
    batch_id: task.batchId,
    retry_of: task.retryOf,
    created_at: task.createdAt.toISOString(),
    updated_at: task.updatedAt.toISOString(),
    started_at: task.startedAt?.toISOString() ?? null,
    finished_at: task.finishedAt?.toISOString() ?? null,
    error: task.error,
  };
}
