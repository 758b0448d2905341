import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { NotifySpec } from '@app/contracts';
import { ACTIVE_STATUSES, TaskStatus } from '@app/contracts';
import { selectRow, selectRows } from './sql';
import type { NewTask } from './task-rows';
import { insertTasks } from './task-rows';

export interface BatchAggregate {
  id: string;
  total: number;
  createdAt: Date;
  counts: Record<TaskStatus, number>;
  /** No task of the batch is pending or running. */
  done: boolean;
  startedAt: Date | null;
  /** When the last task ended; null while any is active. */
  finishedAt: Date | null;
}

export interface BatchError {
  taskId: string;
  status: TaskStatus;
  error: string;
}

/** Batches: stored with all their tasks at once, and aggregated from the tasks' rows when read. */
@Injectable()
export class BatchStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The batch and every one of its tasks in one transaction: all of them or none. The batch belongs
   * to `owner`, as each of its tasks does; `notify` is told when its last task has ended.
   */
  async create(batchId: string, owner: string | null, tasks: readonly NewTask[], notify?: NotifySpec): Promise<void> {
    await this.db.transaction(async (manager) => {
      await manager.query('INSERT INTO batches (id, total, owner, notify) VALUES ($1, $2, $3, $4::jsonb)', [
        batchId,
        tasks.length,
        owner,
        notify === undefined ? null : JSON.stringify(notify),
      ]);
      await insertTasks(manager, tasks, batchId);
    });
  }

  /** The batch's webhook (null: none), or undefined when there is no such batch. */
  async notifyOf(batchId: string): Promise<NotifySpec | null | undefined> {
    const row = await selectRow<{ notify: NotifySpec | null }>(
      this.db.manager,
      'SELECT notify FROM batches WHERE id = $1',
      [batchId],
    );
    return row?.notify;
  }

  /** Undoes create() when the tasks could not be queued (the tasks go by ON DELETE CASCADE). */
  async remove(batchId: string): Promise<void> {
    await this.db.query('DELETE FROM batches WHERE id = $1', [batchId]);
  }

  /** The batch's owner (null: none), or undefined when there is no such batch. */
  async ownerOf(batchId: string): Promise<string | null | undefined> {
    const row = await selectRow<{ owner: string | null }>(this.db.manager, 'SELECT owner FROM batches WHERE id = $1', [
      batchId,
    ]);
    return row?.owner;
  }

  /** One statement over the batch's tasks (index on batch_id): counts, first start, last end. */
  async aggregate(batchId: string): Promise<BatchAggregate | undefined> {
    const statuses = Object.values(TaskStatus);
    const row = await selectRow<Omit<BatchAggregate, 'counts'> & Record<string, unknown>>(
      this.db.manager,
      `SELECT b.id, b.total, b.created_at AS "createdAt",
              ${statuses.map((status, n) => `count(t.id) FILTER (WHERE t.status = $${n + 2})::int AS "${status}"`).join(', ')},
              count(t.id) FILTER (WHERE t.status = ANY($${statuses.length + 2})) = 0 AS done,
              min(t.started_at) AS "startedAt", max(t.finished_at) AS "finishedAt"
       FROM batches b LEFT JOIN tasks t ON t.batch_id = b.id
       WHERE b.id = $1 GROUP BY b.id`,
      [batchId, ...statuses, ACTIVE_STATUSES],
    );
    if (!row) return undefined;
    const counts = Object.fromEntries(statuses.map((status) => [status, row[status] as number])) as Record<
      TaskStatus,
      number
    >;
    return {
      id: row.id,
      total: row.total,
      createdAt: row.createdAt,
      counts,
      done: row.done,
      startedAt: row.startedAt,
      finishedAt: row.done ? row.finishedAt : null,
    };
  }

  /** The batch's aggregate and its first `errorsShown` errors; undefined when there is no such batch. */
  async outcome(
    batchId: string,
    errorsShown: number,
  ): Promise<{ aggregate: BatchAggregate; errors: BatchError[] } | undefined> {
    const [aggregate, errors] = await Promise.all([this.aggregate(batchId), this.errors(batchId, errorsShown)]);
    return aggregate && { aggregate, errors };
  }

  /** The first tasks, in the order they were given, that ended with an error. */
  errors(batchId: string, limit: number): Promise<BatchError[]> {
    return selectRows<BatchError>(
      this.db.manager,
      `SELECT id AS "taskId", status, error FROM tasks
       WHERE batch_id = $1 AND error IS NOT NULL ORDER BY batch_index LIMIT $2`,
      [batchId, limit],
    );
  }
}
