import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { TaskResultDto, TaskUsageDto } from '@app/contracts';
import { ACTIVE_STATUSES, TaskStage, TaskStatus } from '@app/contracts';
import { TaskEntity } from '../entities';
import {
  currentState,
  selectRow,
  selectRows,
  STARTED_TASK_PARAMETERS,
  startedTaskCtes,
  TASK_STATE_COLUMNS,
  taskEntityColumns,
  TaskState,
} from './sql';
import type { NewTask } from './task-rows';
import { insertTasks } from './task-rows';
import { usageJson } from './usage.sql';

/**
 * The deadline sweeps' condition, written as a literal: the deadline indexes are partial (WHERE status
 * = 'running'), and a prepared statement's generic plan cannot prove that `status = $1` matches that
 * predicate, so with a parameter each sweep read every running task (5 ms a sweep at 10,000 of them).
 * The sweeps pick and lock their rows in a MATERIALIZED CTE, then update them by id alone: given the
 * status condition again, a planner whose statistics predate the running tasks (one row in the index,
 * it thought) walked every running task to join it against the pick. The lock keeps the rows picked
 * as they were found until the update.
 */
const RUNNING = `status = '${TaskStatus.RUNNING}'`;

export type CancelOutcome =
  | { kind: 'cancelled' }
  | { kind: 'not-found' }
  | { kind: 'already-ended'; status: TaskStatus };

export interface TaskFailure {
  stage: TaskStage;
  sourceId: string;
  recordId: string | null;
  message: string;
}

/**
 * The task row and its lifecycle. Every statement that moves a task names the statuses it may move
 * from, so a task that has ended (cancelled above all) is never moved again, whoever writes late.
 */
@Injectable()
export class TaskRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Stores a submitted task as pending without a stage: not queued yet, so the recovery sweep leaves
   * it alone until markQueued() (or its first job) says its collect job exists. A task whose
   * submission failed and whose removal failed too is then never run, but removed by the sweep.
   */
  async create(...tasks: NewTask[]): Promise<void> {
    await insertTasks(this.db.manager, tasks);
  }

  /** The task's owner (null: none), or undefined when there is no such task. */
  async ownerOf(id: string): Promise<string | null | undefined> {
    const row = await selectRow<{ owner: string | null }>(this.db.manager, 'SELECT owner FROM tasks WHERE id = $1', [
      id,
    ]);
    return row?.owner;
  }

  /** Pending and running tasks of one owner (the per-key cap). */
  async countActive(owner: string): Promise<number> {
    const row = await selectRow<{ count: number }>(
      this.db.manager,
      'SELECT count(*)::int AS count FROM tasks WHERE owner = $1 AND status = ANY($2)',
      [owner, ACTIVE_STATUSES],
    );
    return row?.count ?? 0;
  }

  /**
   * Deletes the task with everything stored for it (its sources, records, chunks and results go by
   * ON DELETE CASCADE). Undoes create() when the tasks could not be queued, and purges a task.
   */
  async remove(...ids: string[]): Promise<void> {
    await this.db.query('DELETE FROM tasks WHERE id = ANY($1::uuid[])', [ids]);
  }

  /**
   * The submitted tasks' collect jobs are queued (single tasks or a batch's): from now on the
   * recovery sweep looks after them.
   */
  async markQueued(...ids: string[]): Promise<void> {
    await selectRows(
      this.db.manager,
      'UPDATE tasks SET stage = $2, updated_at = now() WHERE id = ANY($1::uuid[]) AND status = $3 AND stage IS NULL',
      [ids, TaskStage.COLLECT, TaskStatus.PENDING],
    );
  }

  /**
   * Removes pending tasks that were never queued (their submission failed, and so did its removal,
   * or the gateway died in between) once they are older than `olderThanMs`; their client was told
   * nothing was stored. Returns their ids.
   */
  async removeUnqueued(olderThanMs: number): Promise<string[]> {
    const rows = await selectRows<{ id: string }>(
      this.db.manager,
      `DELETE FROM tasks WHERE status = $1 AND stage IS NULL AND created_at < now() - make_interval(secs => $2)
       RETURNING id`,
      [TaskStatus.PENDING, olderThanMs / 1000],
    );
    return rows.map((row) => row.id);
  }

  /** The whole task row as TaskEntity, by raw SQL (a query builder per stage job cost more than its statement). */
  async findById(id: string): Promise<TaskEntity | null> {
    const row = await selectRow<TaskEntity>(
      this.db.manager,
      `SELECT ${taskEntityColumns(this.db)} FROM tasks WHERE id = $1`,
      [id],
    );
    return row ?? null;
  }

  /** The task with its LLM usage so far, in one statement: what the task's view shows of a running task. */
  async findWithUsage(id: string): Promise<{ task: TaskEntity; usage: TaskUsageDto } | null> {
    const row = await selectRow<TaskEntity & { usage: TaskUsageDto }>(
      this.db.manager,
      `SELECT ${taskEntityColumns(this.db)}, ${usageJson('$1')} AS usage FROM tasks WHERE id = $1`,
      [id],
    );
    if (!row) return null;
    const { usage, ...task } = row;
    return { task, usage };
  }

  /**
   * Tasks per status, every status present (0 when none): one index-only scan of
   * tasks_status_created_at_idx, or of one owner's slice of tasks_owner_status_created_at_idx when
   * `owner` is given.
   */
  async countByStatus(owner?: string): Promise<Record<TaskStatus, number>> {
    const rows = await selectRows<{ status: TaskStatus; count: number }>(
      this.db.manager,
      owner === undefined
        ? 'SELECT status, count(*)::int AS count FROM tasks GROUP BY status'
        : 'SELECT status, count(*)::int AS count FROM tasks WHERE owner = $1 GROUP BY status',
      owner === undefined ? [] : [owner],
    );
    const counts = Object.fromEntries(Object.values(TaskStatus).map((status) => [status, 0])) as Record<
      TaskStatus,
      number
    >;
    for (const row of rows) counts[row.status] = row.count;
    return counts;
  }

  /** Pending and running tasks of the whole deployment (the service-wide cap). */
  async countAllActive(): Promise<number> {
    const row = await selectRow<{ count: number }>(
      this.db.manager,
      'SELECT count(*)::int AS count FROM tasks WHERE status = ANY($1)',
      [ACTIVE_STATUSES],
    );
    return row?.count ?? 0;
  }

  async state(id: string): Promise<TaskState | undefined> {
    return currentState(this.db.manager, id);
  }

  async cancel(id: string): Promise<CancelOutcome> {
    const cancelled = await selectRow(
      this.db.manager,
      `UPDATE tasks SET status = $2, finished_at = now(), updated_at = now()
       WHERE id = $1 AND status = ANY($3) RETURNING id`,
      [id, TaskStatus.CANCELLED, ACTIVE_STATUSES],
    );
    if (cancelled) return { kind: 'cancelled' };
    const current = await selectRow<{ status: TaskStatus }>(this.db.manager, 'SELECT status FROM tasks WHERE id = $1', [
      id,
    ]);
    return current ? { kind: 'already-ended', status: current.status } : { kind: 'not-found' };
  }

  /**
   * The task as a stage job sees it, in one statement: a pending task is moved to running, in collect,
   * on the way (its first job starts it, and may run before the gateway marked it queued); any other
   * task is returned as it is. Undefined when there is no such task.
   */
  async start(id: string): Promise<TaskEntity | undefined> {
    return selectRow<TaskEntity>(this.db.manager, `WITH ${startedTaskCtes(this.db)} SELECT * FROM task`, [
      id,
      ...STARTED_TASK_PARAMETERS,
    ]);
  }

  /** Fails a task that has not ended yet; false when it had ended already. */
  async fail(id: string, error: string): Promise<boolean> {
    const failed = await selectRow(
      this.db.manager,
      `UPDATE tasks SET status = $2, error = $3, finished_at = now(), updated_at = now()
       WHERE id = $1 AND status = ANY($4) RETURNING id`,
      [id, TaskStatus.FAILED, error.slice(0, 2000), ACTIVE_STATUSES],
    );
    return failed !== undefined;
  }

  /** Fails running tasks past their hard deadline; returns them, each with the error it was given. */
  async failPastHardDeadline(limit: number): Promise<(TaskState & { error: string })[]> {
    return selectRows<TaskState & { error: string }>(
      this.db.manager,
      `WITH due AS MATERIALIZED (
         SELECT id AS due_id FROM tasks WHERE ${RUNNING} AND hard_deadline_at < now()
         ORDER BY hard_deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE tasks SET status = $1, finished_at = now(), updated_at = now(),
         error = format('time limit exceeded: the task ran past its hard limit of %s s', hard_limit_s)
       FROM due WHERE id = due_id
       RETURNING ${TASK_STATE_COLUMNS}, error`,
      [TaskStatus.FAILED, limit],
    );
  }

  /**
   * Marks running tasks past their soft deadline (once): from then on the stages take no new work for
   * them, and they end completed_with_errors. Returns them, each with the note it was given.
   */
  async markPastSoftDeadline(limit: number): Promise<(TaskState & { error: string })[]> {
    return selectRows<TaskState & { error: string }>(
      this.db.manager,
      `WITH due AS MATERIALIZED (
         SELECT id AS due_id FROM tasks WHERE ${RUNNING} AND soft_limited_at IS NULL AND soft_deadline_at < now()
         ORDER BY soft_deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       UPDATE tasks SET soft_limited_at = now(), updated_at = now(),
         error = format('soft time limit of %s s exceeded: no new work was started after it; the result covers what was done',
                        soft_limit_s)
       FROM due WHERE id = due_id
       RETURNING ${TASK_STATE_COLUMNS}, error`,
      [limit],
    );
  }

  /** Active tasks in a stage whose record has not moved for a while: candidates for re-queueing. */
  async findIdle(stage: TaskStage, idleForMs: number, limit: number): Promise<TaskState[]> {
    return selectRows<TaskState>(
      this.db.manager,
      `SELECT ${TASK_STATE_COLUMNS} FROM tasks
       WHERE status = ANY($1) AND stage = $2 AND updated_at < now() - make_interval(secs => $3)
       ORDER BY updated_at LIMIT $4`,
      [ACTIVE_STATUSES, stage, idleForMs / 1000, limit],
    );
  }

  /**
   * Failed sources, then failed records (refused by their processing chain at collection, or by the
   * LLM): what a user reads to see what went wrong.
   */
  async failures(id: string, limit: number): Promise<TaskFailure[]> {
    return selectRows<TaskFailure>(
      this.db.manager,
      `(SELECT 'collect' AS stage, source_id AS "sourceId", NULL AS "recordId", error AS message
          FROM task_sources WHERE task_id = $1 AND outcome = 'failed' ORDER BY source_id LIMIT $2)
       UNION ALL
       (SELECT CASE WHEN evaluated_at IS NULL THEN 'collect' ELSE 'evaluate' END, source_id, record_id, error
          FROM task_records WHERE task_id = $1 AND status = 'failed' ORDER BY source_id, position LIMIT $2)
       LIMIT $2`,
      [id, limit],
    );
  }

  async result(id: string): Promise<TaskResultDto | undefined> {
    const row = await selectRow<{ result: TaskResultDto }>(
      this.db.manager,
      'SELECT result FROM task_results WHERE task_id = $1',
      [id],
    );
    return row?.result;
  }
}
