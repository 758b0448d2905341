import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { RecordEvaluationStatus, TaskStage, TaskStatus } from '@app/contracts';
import type { LlmUsage } from '@app/contracts';
import { currentState, lockActiveTask, selectRow, selectRows, TASK_STATE_COLUMNS, TaskState } from './sql';
import { addTaskUsage } from './usage.sql';

export interface ChunkRecord {
  sourceId: string;
  recordId: string;
  content: string;
  fields: Record<string, unknown>;
}

export type RecordOutcome =
  /** scores: the numbers thresholds apply to; analyses: every dimension's answer; fields: when LLM enrichments changed them. */
  | {
      sourceId: string;
      recordId: string;
      scores: Record<string, number>;
      analyses: Record<string, unknown>;
      fields?: Record<string, unknown>;
    }
  | { sourceId: string; recordId: string; error: string };

/**
 * Writes of the evaluate stage and its fan-in. A chunk's outcomes, its marker row and the task's
 * counters are written in one transaction; the marker's primary key makes a re-run of the chunk count
 * nothing, and the row lock on the task makes exactly one chunk see the last one done.
 */
@Injectable()
export class EvaluationStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async isChunkDone(taskId: string, chunk: number): Promise<boolean> {
    const row = await selectRow(this.db.manager, 'SELECT 1 FROM evaluation_chunks WHERE task_id = $1 AND chunk = $2', [
      taskId,
      chunk,
    ]);
    return row !== undefined;
  }

  chunkRecords(taskId: string, chunk: number): Promise<ChunkRecord[]> {
    return selectRows<ChunkRecord>(
      this.db.manager,
      `SELECT source_id AS "sourceId", record_id AS "recordId", content, fields
       FROM task_records WHERE task_id = $1 AND chunk = $2 ORDER BY source_id, position`,
      [taskId, chunk],
    );
  }

  /**
   * The task's chunks not stored yet, lowest first; at most `limit` of them. The lowest `limit` lie
   * below chunksDone + limit (at most chunksDone of those are done), so only that range is searched.
   */
  async unfinishedChunks(
    taskId: string,
    progress: { chunksTotal: number; chunksDone: number },
    limit = progress.chunksTotal,
  ): Promise<number[]> {
    const searched = Math.min(progress.chunksTotal, progress.chunksDone + limit);
    const rows = await selectRows<{ chunk: number }>(
      this.db.manager,
      `SELECT g.chunk FROM generate_series(0, $2 - 1) AS g(chunk)
       WHERE NOT EXISTS (SELECT 1 FROM evaluation_chunks c WHERE c.task_id = $1 AND c.chunk = g.chunk)
       ORDER BY g.chunk LIMIT $3`,
      [taskId, searched, limit],
    );
    return rows.map((row) => row.chunk);
  }

  /**
   * Records a chunk's outcomes and counts the chunk once. When it is the last chunk, the task moves to
   * generate — or fails, when not a single record could be evaluated. Returns the task's state after.
   */
  async saveChunk(
    taskId: string,
    chunk: number,
    outcomes: readonly RecordOutcome[],
    usage: Readonly<Record<string, LlmUsage>>,
  ): Promise<TaskState | undefined> {
    const evaluated = outcomes.filter((outcome) => 'scores' in outcome);
    const failed = outcomes.length - evaluated.length;
    return this.db.transaction(async (manager) => {
      // A chunk that finishes after the task ended (cancelled, failed) is not counted.
      if (!(await lockActiveTask(manager, taskId))) return currentState(manager, taskId);
      const marked = await selectRow(
        manager,
        `INSERT INTO evaluation_chunks (task_id, chunk, records_evaluated, records_failed)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING chunk`,
        [taskId, chunk, evaluated.length, failed],
      );
      if (!marked) return currentState(manager, taskId);
      await addTaskUsage(manager, taskId, usage);

      const rows = outcomes.map((outcome) =>
        'scores' in outcome
          ? {
              source_id: outcome.sourceId,
              record_id: outcome.recordId,
              status: RecordEvaluationStatus.EVALUATED,
              scores: outcome.scores,
              analyses: outcome.analyses,
              fields: outcome.fields ?? null,
              error: null,
            }
          : {
              source_id: outcome.sourceId,
              record_id: outcome.recordId,
              status: RecordEvaluationStatus.FAILED,
              scores: null,
              analyses: null,
              fields: null,
              error: outcome.error,
            },
      );
      await manager.query(
        `UPDATE task_records r SET status = o.status, scores = o.scores, analyses = o.analyses, error = o.error,
           fields = coalesce(o.fields, r.fields), evaluated_at = now()
         FROM jsonb_to_recordset($2::jsonb)
           AS o(source_id varchar, record_id varchar, status varchar, scores jsonb, analyses jsonb, fields jsonb,
                error text)
         WHERE r.task_id = $1 AND r.source_id = o.source_id AND r.record_id = o.record_id`,
        [taskId, JSON.stringify(rows)],
      );
      const counted = await selectRow<TaskState & { recordsEvaluated: number }>(
        manager,
        `UPDATE tasks SET records_evaluated = records_evaluated + $2, records_failed = records_failed + $3,
           chunks_done = chunks_done + 1, updated_at = now()
         WHERE id = $1 RETURNING ${TASK_STATE_COLUMNS}, records_evaluated AS "recordsEvaluated"`,
        [taskId, evaluated.length, failed],
      );
      if (!counted || counted.chunksDone !== counted.chunksTotal) return counted;

      const everyRecordFailed = counted.recordsEvaluated === 0;
      const moved = await selectRow<TaskState>(
        manager,
        `UPDATE tasks SET
           status = CASE WHEN $2 THEN $3 ELSE status END,
           error = CASE WHEN $2 THEN 'every record failed evaluation' ELSE error END,
           finished_at = CASE WHEN $2 THEN now() ELSE finished_at END,
           stage = CASE WHEN $2 THEN stage ELSE $4 END,
           evaluated_at = now(),
           updated_at = now()
         WHERE id = $1 AND status = $5 AND stage = $6 RETURNING ${TASK_STATE_COLUMNS}`,
        [taskId, everyRecordFailed, TaskStatus.FAILED, TaskStage.GENERATE, TaskStatus.RUNNING, TaskStage.EVALUATE],
      );
      return moved ?? counted;
    });
  }
}
