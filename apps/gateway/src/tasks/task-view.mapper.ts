import type { TaskResultDto, TaskViewDto } from '@app/contracts';
import type { TaskEntity, TaskFailure } from '@app/persistence';
import { toTaskRequest } from './task-spec.mapper';

export function toTaskView(
  task: TaskEntity,
  failures: readonly TaskFailure[],
  result: TaskResultDto | undefined,
): TaskViewDto {
  return {
    id: task.id,
    status: task.status,
    stage: task.stage,
    progress: {
      sources_total: task.sourcesTotal,
      sources_collected: task.sourcesCollected,
      sources_failed: task.sourcesFailed,
      records_total: task.recordsTotal,
      records_evaluated: task.recordsEvaluated,
      records_failed: task.recordsFailed,
      dimensions_total: task.dimensionsTotal,
      dimensions_done: task.dimensionsDone,
    },
    request: toTaskRequest(task.spec),
    created_at: task.createdAt.toISOString(),
    updated_at: task.updatedAt.toISOString(),
    started_at: task.startedAt?.toISOString() ?? null,
    finished_at: task.finishedAt?.toISOString() ?? null,
    error: task.error,
    errors: failures.map((failure) => ({
      stage: failure.stage,
      source_id: failure.sourceId,
      ...(failure.recordId ? { record_id: failure.recordId } : {}),
      message: failure.message,
    })),
    ...(result ? { result } : {}),
  };
}
