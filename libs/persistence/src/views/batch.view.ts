import type { BatchViewDto } from '@app/contracts';
import { TaskStatus } from '@app/contracts';
import type { BatchAggregate, BatchError } from '../repositories/batch.store';

/** A batch's outcome as GET /batches/{id} and its batch.completed webhook show it (without the webhook's state). */
export function toBatchView(
  aggregate: BatchAggregate,
  errors: readonly BatchError[],
): Omit<BatchViewDto, 'notification'> {
  const { counts } = aggregate;
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  return {
    id: aggregate.id,
    total: aggregate.total,
    counts: { ...counts, total },
    succeeded: counts[TaskStatus.COMPLETED] + counts[TaskStatus.COMPLETED_WITH_ERRORS],
    failed: counts[TaskStatus.FAILED],
    done: aggregate.done,
    created_at: aggregate.createdAt.toISOString(),
    started_at: aggregate.startedAt?.toISOString() ?? null,
    finished_at: aggregate.finishedAt?.toISOString() ?? null,
    duration_ms: aggregate.finishedAt ? aggregate.finishedAt.getTime() - aggregate.createdAt.getTime() : null,
    errors: errors.map((entry) => ({ task_id: entry.taskId, status: entry.status, error: entry.error })),
  };
}
