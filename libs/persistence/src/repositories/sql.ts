import type { Pool } from 'pg';
import type { DataSource, EntityManager } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { TaskPriority } from '@app/contracts';
import { ACTIVE_STATUSES, TaskStage, TaskStatus } from '@app/contracts';
import { TaskEntity } from '../entities';

/**
 * Runs raw SQL and returns its rows, whatever the statement (TypeORM shapes UPDATE results
 * differently). Outside a transaction the statement goes straight to node-postgres's pool: TypeORM's
 * query runner (an object, a pool checkout, its broadcaster and release per statement) cost the
 * workers more CPU than the statements themselves took to send and parse (ADR 21).
 */
export async function selectRows<T>(manager: EntityManager, sql: string, parameters: unknown[] = []): Promise<T[]> {
  if (manager.queryRunner === undefined) {
    const pool = (manager.connection.driver as PostgresDriver).master as Pool;
    return (await pool.query(sql, parameters)).rows as T[];
  }
  const result = await manager.queryRunner.query(sql, parameters, true);
  return result.records as T[];
}

export async function selectRow<T>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
): Promise<T | undefined> {
  const rows = await selectRows<T>(manager, sql, parameters);
  return rows[0];
}

/** A task's movement fields, as the state-changing statements return them. */
export interface TaskState {
  id: string;
  status: TaskStatus;
  stage: TaskStage | null;
  chunksTotal: number | null;
  chunksDone: number;
  recordsTotal: number;
  /** Carried into every job queued for the task. */
  priority: TaskPriority;
}

export const TASK_STATE_COLUMNS =
  'id, status, stage, chunks_total AS "chunksTotal", chunks_done AS "chunksDone", records_total AS "recordsTotal", priority';

export function currentState(manager: EntityManager, taskId: string): Promise<TaskState | undefined> {
  return selectRow<TaskState>(manager, `SELECT ${TASK_STATE_COLUMNS} FROM tasks WHERE id = $1`, [taskId]);
}

/**
 * Takes the task row's lock for the rest of the transaction and tells whether the task is still
 * active. Writes that follow it cannot interleave with a cancel: either the cancel waits for them or
 * they see the task cancelled.
 */
export async function lockActiveTask(manager: EntityManager, taskId: string): Promise<boolean> {
  const row = await selectRow(manager, 'SELECT 1 FROM tasks WHERE id = $1 AND status = ANY($2) FOR UPDATE', [
    taskId,
    ACTIVE_STATUSES,
  ]);
  return row !== undefined;
}

const entitySelectLists = new WeakMap<DataSource, string>();

/** TaskEntity's columns as a select list (of `tasks`, unqualified), read from TypeORM's metadata once. */
export function taskEntityColumns(db: DataSource): string {
  let list = entitySelectLists.get(db);
  if (list === undefined) {
    list = db
      .getMetadata(TaskEntity)
      .columns.map((column) => `${column.databaseName} AS "${column.propertyName}"`)
      .join(', ');
    entitySelectLists.set(db, list);
  }
  return list;
}

/**
 * The CTE `task` (with `started` before it): task $1 as a stage job finds it. A pending task is moved
 * to running, in collect, on the way (its first job starts it, and may run before the gateway marked
 * it queued); any other task is as it is. Its columns are TaskEntity's properties; $2 to $4 are
 * STARTED_TASK_PARAMETERS (running, pending, collect).
 */
export function startedTaskCtes(db: DataSource): string {
  const columns = taskEntityColumns(db);
  return `started AS (
       UPDATE tasks SET status = $2, stage = COALESCE(stage, $4), started_at = now(), updated_at = now(),
         soft_deadline_at = now() + make_interval(secs => soft_limit_s),
         hard_deadline_at = now() + make_interval(secs => hard_limit_s)
       WHERE id = $1 AND status = $3 RETURNING ${columns}),
     task AS (
       SELECT * FROM started
       UNION ALL
       SELECT ${columns} FROM tasks WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM started))`;
}

export const STARTED_TASK_PARAMETERS = [TaskStatus.RUNNING, TaskStatus.PENDING, TaskStage.COLLECT] as const;
