import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ACTIVE_STATUSES, RecordEvaluationStatus, TaskStage, TaskStatus } from '@app/contracts';
import type { LlmUsage } from '@app/contracts';
import { TaskEntity } from '../entities';
import { currentState, selectRow, selectRows, TASK_STATE_COLUMNS, taskEntityColumns, TaskState } from './sql';
import { usageRows, usageUpsert } from './usage.sql';

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
 * counters are written in one statement; the marker's primary key makes a re-run of the chunk count
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

  /**
   * An evaluate job's task and, while the task runs in the evaluate stage, its chunk's records in
   * collection order, in one statement; no records once the chunk is stored (isChunkDone tells that
   * apart from an empty chunk). Undefined when the task is gone.
   */
  async loadChunk(taskId: string, chunk: number): Promise<{ task: TaskEntity; records: ChunkRecord[] } | undefined> {
    const row = await selectRow<TaskEntity & { chunkRecords: ChunkRecord[] }>(
      this.db.manager,
      `SELECT ${taskEntityColumns(this.db)},
         CASE WHEN status = $3 AND stage = $4 THEN (
           SELECT coalesce(json_agg(json_build_object('sourceId', r.source_id, 'recordId', r.record_id,
                                                      'content', r.content, 'fields', r.fields)
                                    ORDER BY r.source_id, r.position), '[]')
           FROM task_records r WHERE r.task_id = $1 AND r.chunk = $2
             AND NOT EXISTS (SELECT 1 FROM evaluation_chunks c WHERE c.task_id = $1 AND c.chunk = $2))
         ELSE '[]' END AS "chunkRecords"
       FROM tasks WHERE id = $1`,
      [taskId, chunk, TaskStatus.RUNNING, TaskStage.EVALUATE],
    );
    if (!row) return undefined;
    const { chunkRecords: records, ...task } = row;
    return { task, records };
  }

  /**
   * The task's chunks not stored yet, lowest first; at most `limit` of them. The lowest `limit` lie
   * below chunksDone + limit (at most chunksDone of those are done), and at or above `storedBelow`,
   * a chunk every one below which is known to be stored, so only that range is searched: without
   * it, each of a big task's tens of thousands of chunks searched from 0 (ADR 32).
   */
  async unfinishedChunks(
    taskId: string,
    progress: { chunksTotal: number; chunksDone: number },
    limit = progress.chunksTotal,
    storedBelow = 0,
  ): Promise<number[]> {
    const searched = Math.min(progress.chunksTotal, progress.chunksDone + limit);
    // A correlated subquery, not NOT EXISTS: that becomes an anti-join, and the generic plan of this
    // prepared statement hashed every stored chunk of the task (254 ms at 40,000 chunks) where
    // probing the range searched takes 0.2 ms.
    const rows = await selectRows<{ chunk: number }>(
      this.db.manager,
      `SELECT g.chunk FROM generate_series($4, $2 - 1) AS g(chunk)
       WHERE (SELECT true FROM evaluation_chunks c WHERE c.task_id = $1 AND c.chunk = g.chunk) IS NULL
       ORDER BY g.chunk LIMIT $3`,
      [taskId, searched, limit, storedBelow],
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
    const evaluated = outcomes.filter((outcome) => 'scores' in outcome).length;
    const failed = outcomes.length - evaluated;
    // One statement where a transaction took eight (ADR 18). Its FOR UPDATE takes the task row's lock
    // as lockActiveTask() does, so a chunk that finishes after the task ended (cancelled, failed) is
    // not counted, and exactly one chunk sees the last one done; the marker row's primary key makes a
    // re-run of the chunk count nothing. Nothing returned: the chunk did not count.
    const counted = await selectRow<TaskState>(
      this.db.manager,
      `WITH active AS (
         SELECT id FROM tasks WHERE id = $1 AND status = ANY($5) FOR UPDATE),
       marked AS (
         INSERT INTO evaluation_chunks (task_id, chunk, records_evaluated, records_failed)
         SELECT $1, $2, $3, $4 FROM active ON CONFLICT DO NOTHING RETURNING chunk),
       usage AS (${usageUpsert('$1', '$6', 'EXISTS (SELECT 1 FROM marked)')}),
       outcomes AS (
         UPDATE task_records r SET status = o.status, scores = o.scores, analyses = o.analyses, error = o.error,
           fields = coalesce(o.fields, r.fields), evaluated_at = now()
         FROM jsonb_to_recordset($7::jsonb)
           AS o(source_id varchar, record_id varchar, status varchar, scores jsonb, analyses jsonb, fields jsonb,
                error text)
         WHERE r.task_id = $1 AND r.source_id = o.source_id AND r.record_id = o.record_id
           AND EXISTS (SELECT 1 FROM marked))
       UPDATE tasks SET records_evaluated = records_evaluated + $3, records_failed = records_failed + $4,
         chunks_done = chunks_done + 1,
         -- The last chunk moves the task on, or fails it when not one record was evaluated.
         status = CASE WHEN ${LAST_CHUNK} AND ${NONE_EVALUATED} THEN $9 ELSE status END,
         error = CASE WHEN ${LAST_CHUNK} AND ${NONE_EVALUATED} THEN 'every record failed evaluation' ELSE error END,
         finished_at = CASE WHEN ${LAST_CHUNK} AND ${NONE_EVALUATED} THEN now() ELSE finished_at END,
         stage = CASE WHEN ${LAST_CHUNK} AND NOT ${NONE_EVALUATED} THEN $10 ELSE stage END,
         evaluated_at = CASE WHEN ${LAST_CHUNK} THEN now() ELSE evaluated_at END,
         updated_at = now()
       WHERE id = $1 AND EXISTS (SELECT 1 FROM marked)
       RETURNING ${TASK_STATE_COLUMNS}`,
      [
        taskId,
        chunk,
        evaluated,
        failed,
        ACTIVE_STATUSES,
        JSON.stringify(usageRows(usage)),
        JSON.stringify(outcomes.map(outcomeRow)),
        TaskStatus.RUNNING,
        TaskStatus.FAILED,
        TaskStage.GENERATE,
        TaskStage.EVALUATE,
      ],
    );
    return counted ?? currentState(this.db.manager, taskId);
  }
}

/** In saveChunk's UPDATE of the task (the row before it): this chunk is the last of a running evaluate stage. */
const LAST_CHUNK = '(chunks_done + 1 = chunks_total AND status = $8 AND stage = $11)';
/** ... and not one record of the task was evaluated, this chunk's included. */
const NONE_EVALUATED = '(records_evaluated + $3 = 0)';

/** A record's outcome as a row of saveChunk's JSON parameter. */
function outcomeRow(outcome: RecordOutcome): object {
  return 'scores' in outcome
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
      };
}
