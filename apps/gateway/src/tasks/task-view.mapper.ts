import type { DeliveryViewDto, TaskResultDto, TaskUsageDto, TaskViewDto } from '@app/contracts';
import type { DeliveryState, TaskEntity, TaskFailure } from '@app/persistence';
import { toTaskRequest } from './task-spec.mapper';

export function toTaskView(
  task: TaskEntity,
  failures: readonly TaskFailure[],
  result: TaskResultDto | undefined,
  usage: TaskUsageDto,
  deliveries: readonly DeliveryState[] = [],
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
      records_dropped: task.recordsDropped,
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
    usage,
    ...(result ? { result } : {}),
    outputs: (task.spec.outputs ?? []).map((output, index) =>
      toDeliveryView(
        index,
        output.type,
        deliveries.find((delivery) => delivery.key === `output:${index}`),
      ),
    ),
  };
}

/** An output's delivery; `waiting` until the task ends and queues it. */
function toDeliveryView(index: number, type: string, delivery: DeliveryState | undefined): DeliveryViewDto {
  return {
    output: index,
    type,
    status: delivery?.status ?? 'waiting',
    attempts: delivery?.attempts ?? 0,
    last_error: delivery?.lastError ?? null,
    delivered_at: delivery?.deliveredAt?.toISOString() ?? null,
  };
}
