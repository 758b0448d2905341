import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { SourceOutcome, SourceRecord, TaskStage, TaskStatus } from '@app/contracts';
import { currentState, lockActiveTask, selectRow, selectRows, TASK_STATE_COLUMNS, TaskState } from './sql';

export interface SourceSettlement {
  taskId: string;
  sourceId: string;
  attempts: number;
  durationMs: number;
}

/** Rows per INSERT: keeps one statement's JSON parameter well below memory and protocol limits. */
const RECORD_BATCH = 1000;

/**
 * Writes of the collect stage. A source is settled once: its row in task_sources is inserted in the
 * same transaction as its records and its counters, and a re-run skips sources that have a row.
 */
@Injectable()
export class CollectionStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async settledSourceIds(taskId: string): Promise<Set<string>> {
    const rows = await selectRows<{ source_id: string }>(
      this.db.manager,
      'SELECT source_id FROM task_sources WHERE task_id = $1',
      [taskId],
    );
    return new Set(rows.map((row) => row.source_id));
  }

  /**
   * Stores a source's records; false when nothing was stored: the source had been settled already
   * (a re-run), or the task has ended (a late write must not change a cancelled task's figures).
   */
  async saveCollected(settlement: SourceSettlement, records: readonly SourceRecord[]): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      if (!(await lockActiveTask(manager, settlement.taskId))) return false;
      if (!(await this.insertSettlement(manager, settlement, SourceOutcome.COLLECTED, 0, null))) return false;
      let inserted = 0;
      for (let start = 0; start < records.length; start += RECORD_BATCH) {
        const batch = records.slice(start, start + RECORD_BATCH).map((record, offset) => ({
          id: record.id,
          position: start + offset,
          content: record.content,
          fields: record.fields,
        }));
        const row = await selectRow<{ count: number }>(
          manager,
          `WITH inserted AS (
             INSERT INTO task_records (task_id, source_id, record_id, position, content, fields)
             SELECT $1, $2, r.id, r.position, r.content, r.fields
             FROM jsonb_to_recordset($3::jsonb) AS r(id varchar, position int, content text, fields jsonb)
             ON CONFLICT DO NOTHING RETURNING 1)
           SELECT count(*)::int AS count FROM inserted`,
          [settlement.taskId, settlement.sourceId, JSON.stringify(batch)],
        );
        inserted += row?.count ?? 0;
      }
      await manager.query('UPDATE task_sources SET records = $3 WHERE task_id = $1 AND source_id = $2', [
        settlement.taskId,
        settlement.sourceId,
        inserted,
      ]);
      await manager.query(
        `UPDATE tasks SET sources_collected = sources_collected + 1, records_total = records_total + $2, updated_at = now()
         WHERE id = $1`,
        [settlement.taskId, inserted],
      );
      return true;
    });
  }

  async saveFailed(settlement: SourceSettlement, error: string): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      if (!(await lockActiveTask(manager, settlement.taskId))) return false;
      if (!(await this.insertSettlement(manager, settlement, SourceOutcome.FAILED, 0, error))) return false;
      await manager.query('UPDATE tasks SET sources_failed = sources_failed + 1, updated_at = now() WHERE id = $1', [
        settlement.taskId,
      ]);
      return true;
    });
  }

  /**
   * Ends the collect stage once every source is settled: fails the task when no source delivered,
   * otherwise cuts the records into evaluate chunks and moves the task on. Returns the task's state
   * afterwards (also when another run had moved it already).
   */
  async finishCollection(taskId: string, chunkSize: number): Promise<TaskState | undefined> {
    return this.db.transaction(async (manager) => {
      await manager.query(
        `UPDATE tasks SET status = $2, error = 'every data source failed', finished_at = now(), updated_at = now()
         WHERE id = $1 AND status = $3 AND stage = $4 AND sources_collected = 0 AND sources_failed = sources_total`,
        [taskId, TaskStatus.FAILED, TaskStatus.RUNNING, TaskStage.COLLECT],
      );
      const moved = await selectRow<TaskState>(
        manager,
        `UPDATE tasks SET
           stage = CASE WHEN records_total = 0 THEN $2 ELSE $3 END,
           chunks_total = ceil(records_total::numeric / $4)::int,
           updated_at = now()
         WHERE id = $1 AND status = $5 AND stage = $6 AND sources_collected + sources_failed = sources_total
         RETURNING ${TASK_STATE_COLUMNS}`,
        [taskId, TaskStage.GENERATE, TaskStage.EVALUATE, chunkSize, TaskStatus.RUNNING, TaskStage.COLLECT],
      );
      if (moved?.stage === TaskStage.EVALUATE) {
        await manager.query(
          `UPDATE task_records r SET chunk = o.rn / $2
           FROM (SELECT source_id, record_id, row_number() OVER (ORDER BY source_id, position) - 1 AS rn
                 FROM task_records WHERE task_id = $1) o
           WHERE r.task_id = $1 AND r.source_id = o.source_id AND r.record_id = o.record_id`,
          [taskId, chunkSize],
        );
      }
      return moved ?? currentState(manager, taskId);
    });
  }

  private async insertSettlement(
    manager: EntityManager,
    settlement: SourceSettlement,
    outcome: SourceOutcome,
    records: number,
    error: string | null,
  ): Promise<boolean> {
    const row = await selectRow(
      manager,
      `INSERT INTO task_sources (task_id, source_id, outcome, records, attempts, duration_ms, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING source_id`,
      [
        settlement.taskId,
        settlement.sourceId,
        outcome,
        records,
        settlement.attempts,
        Math.round(settlement.durationMs),
        error,
      ],
    );
    return row !== undefined;
  }
}
