import type { EntityManager } from 'typeorm';
import type { EffectiveLimits, TaskSpec } from '@app/contracts';
import { TaskPriority, TaskStatus } from '@app/contracts';
import { selectRows } from './sql';

/** A task to store as it was accepted: its specification and what the gateway decided about it. */
export interface NewTask {
  id: string;
  spec: TaskSpec;
  limits: EffectiveLimits;
  /** The name of the API key that submitted it; null or absent when the API is open. */
  owner?: string | null;
  /** The task this one retries. */
  retryOf?: string;
}

/** Rows per INSERT: keeps one statement's JSON parameter well below memory and protocol limits. */
const ROWS_PER_STATEMENT = 500;

/**
 * Inserts new pending tasks, many per statement (a batch of a thousand is a couple of statements);
 * in a batch each task keeps its position. The one place that turns a specification into a task row.
 * A task has no stage until its collect job is queued (markQueued), so the recovery sweep leaves it
 * alone until then, and removes it if that never happens.
 */
export async function insertTasks(
  manager: EntityManager,
  tasks: readonly NewTask[],
  batchId: string | null = null,
): Promise<void> {
  for (let start = 0; start < tasks.length; start += ROWS_PER_STATEMENT) {
    const rows = tasks.slice(start, start + ROWS_PER_STATEMENT).map((task, offset) => ({
      id: task.id,
      spec: task.spec,
      sources_total: task.spec.sources.length,
      dimensions_total: task.spec.dimensions.length,
      owner: task.owner ?? null,
      labels: task.spec.labels ?? {},
      retry_of: task.retryOf ?? null,
      priority: task.spec.priority ?? TaskPriority.NORMAL,
      soft_limit_s: task.limits.softSeconds,
      hard_limit_s: task.limits.hardSeconds,
      batch_index: batchId === null ? null : start + offset,
    }));
    await selectRows(
      manager,
      `INSERT INTO tasks (id, status, stage, spec, sources_total, dimensions_total, owner, labels, retry_of,
                          priority, soft_limit_s, hard_limit_s, batch_id, batch_index)
       SELECT r.id, $2, NULL, r.spec, r.sources_total, r.dimensions_total, r.owner, r.labels, r.retry_of,
              r.priority, r.soft_limit_s, r.hard_limit_s, $3, r.batch_index
       FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, spec jsonb, sources_total int, dimensions_total int,
         owner varchar, labels jsonb, retry_of uuid, priority varchar, soft_limit_s int, hard_limit_s int,
         batch_index int)`,
      [JSON.stringify(rows), TaskStatus.PENDING, batchId],
    );
  }
}
