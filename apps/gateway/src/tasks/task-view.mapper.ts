import type {
  DeliveryViewDto,
  NotificationSpec,
  NotificationViewDto,
  NotifySpec,
  TaskResultPageDto,
  TaskUsageDto,
  TaskViewDto,
} from '@app/contracts';
import { NOTIFY_DELIVERY } from '@app/contracts';
import type { DeliveryState, TaskEntity, TaskFailure } from '@app/persistence';
import { toTaskSummary } from '@app/persistence';
import { toTaskRequest } from './task-spec.mapper';

export function toTaskView(
  task: TaskEntity,
  failures: readonly TaskFailure[],
  result: TaskResultPageDto | undefined,
  usage: TaskUsageDto,
  deliveries: readonly DeliveryState[] = [],
): TaskViewDto {
  return {
    ...toTaskSummary(task),
    request: toTaskRequest(task.spec),
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
    notification: toNotificationView(task.spec.notify, deliveries),
  };
}

/** A task's or batch's webhook and its delivery; `waiting` until the end writes the notification. */
export function toNotificationView(
  notify: NotifySpec | null | undefined,
  deliveries: readonly DeliveryState[],
): NotificationViewDto | null {
  if (!notify) return null;
  const delivery = deliveries.find((entry) => entry.key === NOTIFY_DELIVERY.key);
  const spec = delivery?.spec as NotificationSpec | undefined;
  return {
    event: spec?.event ?? null,
    url: notify.webhook.url,
    status: delivery?.status ?? 'waiting',
    attempts: delivery?.attempts ?? 0,
    last_status: delivery?.lastHttpStatus ?? null,
    last_error: delivery?.lastError ?? null,
    next_attempt_at:
      delivery && ['pending', 'delivering'].includes(delivery.status) ? delivery.nextAttemptAt.toISOString() : null,
    delivered_at: delivery?.deliveredAt?.toISOString() ?? null,
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
