import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { LlmUsage } from '@app/contracts';
import { DimensionResultDto, RecordEvaluationStatus, TaskResultDto, TaskStage, TaskStatus } from '@app/contracts';
import { recordPages } from './record-pages';
import { selectRow, selectRows } from './sql';
import { usageJson, usageRows, usageUpsert } from './usage.sql';

/** A side effect to deliver once the task has ended (see libs/delivery). */
export interface NewDelivery {
  /** Unique within the task. */
  key: string;
  kind: string;
  spec: unknown;
}

export interface RecordScore {
  sourceId: string;
  recordId: string;
  score: number;
}

/** One dimension's numbers over every evaluated record, as Postgres computes them (unrounded). */
export interface ScoreFigures {
  count: number;
  /** At or above the threshold. */
  passed: number;
  mean: number;
  min: number;
  max: number;
  /** Linear interpolation between closest ranks (percentile_cont). */
  median: number;
  p90: number;
  /** Of the population. */
  stddev: number;
}

/** What GenerationStore.dimensionScores reads of one dimension. */
export interface ScoreRequest {
  dimensionId: string;
  /** Scores at or above it pass. */
  threshold: number;
  /** How many passing records to list in collection order, and how many of the best. */
  limits: { passed: number; best: number };
}

export interface DimensionThreshold {
  id: string;
  threshold: number;
}

/** A dimension's scores as the generate stage uses them (see GenerationStore.dimensionScores). */
export interface DimensionScores {
  figures: ScoreFigures;
  /** Passing records, the first in collection order. */
  passed: RecordScore[];
  /** Passing records, the best first. */
  best: RecordScore[];
}

/**
 * Reads and writes of the generate stage. Each finished dimension is stored once and reused by a
 * re-run; the result and the task's final status are written together, and only while the task is
 * still running, so a cancelled task never receives one.
 */
@Injectable()
export class GenerationStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The scores of several dimensions of a task, computed where the records are (a million-record
   * task's scores never come into memory), in one statement: per dimension, statistics over every
   * evaluated record (all zeros when there are none), and of the records at or above its threshold
   * the first `limits.passed` in collection order and the best `limits.best` (ties in collection
   * order); and, for the result, how many evaluated records pass every threshold of `passingAll`.
   */
  async dimensionScores(
    taskId: string,
    requests: readonly ScoreRequest[],
    passingAll: readonly DimensionThreshold[],
  ): Promise<{ byDimension: Map<string, DimensionScores>; passingAll: number }> {
    if (requests.length === 0)
      return { byDimension: new Map(), passingAll: await this.countPassingAll(taskId, passingAll) };
    const scored = `SELECT source_id, record_id, position, (scores ->> d.id)::float8 AS score
                    FROM task_records WHERE task_id = $1 AND status = $2 AND scores ? d.id`;
    const entry = `jsonb_build_object('sourceId', source_id, 'recordId', record_id, 'score', score)`;
    const rows = await selectRows<
      ScoreFigures & {
        dimensionId: string;
        passedRecords: RecordScore[];
        bestRecords: RecordScore[];
        passingAll: number;
      }
    >(
      this.db.manager,
      `SELECT d.id AS "dimensionId", f.*,
         (SELECT coalesce(jsonb_agg(${entry} ORDER BY source_id, position), '[]')
          FROM (${scored} AND (scores ->> d.id)::float8 >= d.threshold
                ORDER BY source_id, position LIMIT d.passed) AS first) AS "passedRecords",
         (SELECT coalesce(jsonb_agg(${entry} ORDER BY score DESC, source_id, position), '[]')
          FROM (${scored} AND (scores ->> d.id)::float8 >= d.threshold
                ORDER BY score DESC, source_id, position LIMIT d.best) AS best) AS "bestRecords",
         (${countPassingAllSql('$3')}) AS "passingAll"
       FROM jsonb_to_recordset($4::jsonb) AS d(id text, threshold float8, passed int, best int)
       CROSS JOIN LATERAL (
         SELECT count(*)::int AS count, (count(*) FILTER (WHERE score >= d.threshold))::int AS passed,
           coalesce(avg(score), 0) AS mean, coalesce(min(score), 0) AS min, coalesce(max(score), 0) AS max,
           coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY score), 0) AS median,
           coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY score), 0) AS p90,
           coalesce(stddev_pop(score), 0) AS stddev
         FROM (${scored}) AS scored) AS f`,
      [
        taskId,
        RecordEvaluationStatus.EVALUATED,
        thresholdsJson(passingAll),
        JSON.stringify(
          requests.map(({ dimensionId, threshold, limits }) => ({
            id: dimensionId,
            threshold,
            passed: limits.passed,
            best: limits.best,
          })),
        ),
      ],
    );
    if (rows.length !== requests.length) throw new Error(`a score read answered ${rows.length} of ${requests.length}`);
    const byDimension = new Map<string, DimensionScores>();
    for (const { dimensionId, passedRecords, bestRecords, passingAll: _count, ...figures } of rows) {
      byDimension.set(dimensionId, { figures, passed: passedRecords, best: bestRecords });
    }
    return { byDimension, passingAll: rows[0].passingAll };
  }

  /** Every evaluated record's answer on one dimension, streamed in collection order. */
  async *analyses(taskId: string, dimensionId: string): AsyncGenerator<unknown> {
    const pages = recordPages<{ analysis: unknown }>(
      this.db.manager,
      taskId,
      'analyses -> $3 AS analysis',
      'status = $4 AND analyses ? $3',
      [dimensionId, RecordEvaluationStatus.EVALUATED],
    );
    for await (const page of pages) for (const row of page) yield row.analysis;
  }

  /**
   * The fields of every record that came through the processing chain (the LLM's verdict aside), as
   * the chain left them, streamed in collection order: what aggregate steps summarise.
   */
  async *chainOutputs(taskId: string): AsyncGenerator<Record<string, unknown>> {
    const pages = recordPages<{ fields: Record<string, unknown> }>(
      this.db.manager,
      taskId,
      'fields',
      // A record the chain refused was stored failed before any evaluation.
      'NOT (status = $3 AND evaluated_at IS NULL)',
      [RecordEvaluationStatus.FAILED],
    );
    for await (const page of pages) for (const row of page) yield row.fields;
  }

  async finishedDimensions(taskId: string): Promise<Map<string, DimensionResultDto>> {
    const rows = await selectRows<{ dimension_id: string; result: DimensionResultDto }>(
      this.db.manager,
      'SELECT dimension_id, result FROM dimension_results WHERE task_id = $1',
      [taskId],
    );
    return new Map(rows.map((row) => [row.dimension_id, row.result]));
  }

  /**
   * Stores finished dimensions once each, with what their summaries cost, and counts them done: one
   * statement, so a re-run that finds a dimension stored changes nothing for it.
   */
  async saveDimensions(
    taskId: string,
    dimensions: readonly { result: DimensionResultDto; usage: LlmUsage }[],
  ): Promise<void> {
    await selectRows(
      this.db.manager,
      `WITH stored AS (
         INSERT INTO dimension_results (task_id, dimension_id, result)
         SELECT $1, d.dimension_id, d.result FROM jsonb_to_recordset($2::jsonb) AS d(dimension_id varchar, result jsonb)
         ON CONFLICT DO NOTHING RETURNING dimension_id),
       counted AS (
         UPDATE tasks SET dimensions_done = dimensions_done + (SELECT count(*) FROM stored), updated_at = now()
         WHERE id = $1 AND EXISTS (SELECT 1 FROM stored))
       ${usageUpsert('$1', '$3', 'u.dimension_id IN (SELECT dimension_id FROM stored)')}`,
      [
        taskId,
        JSON.stringify(dimensions.map(({ result }) => ({ dimension_id: result.dimension_id, result }))),
        JSON.stringify(
          usageRows(Object.fromEntries(dimensions.map(({ result, usage }) => [result.dimension_id, usage]))),
        ),
      ],
    );
  }

  /** Evaluated records whose number passes the threshold of every dimension that has one. */
  async countPassingAll(taskId: string, dimensions: readonly DimensionThreshold[]): Promise<number> {
    const row = await selectRow<{ count: number }>(this.db.manager, countPassingAllSql('$3'), [
      taskId,
      RecordEvaluationStatus.EVALUATED,
      thresholdsJson(dimensions),
    ]);
    return row?.count ?? 0;
  }

  /**
   * Stores the result and ends the task: completed, or completed_with_errors when a source, a record
   * or a dimension's summary failed; the result gets the task's LLM usage. The task's deliveries (its outputs) go into the outbox in the
   * same transaction, so none is lost and none is sent for a task that did not end here. Returns the
   * final status, or undefined when the task was no longer running (then nothing is stored).
   */
  async complete(
    taskId: string,
    result: TaskResultDto,
    deliveries: readonly NewDelivery[] = [],
  ): Promise<TaskStatus | undefined> {
    const summaryFailed = result.dimensions.some((dimension) => dimension.summary_error !== undefined);
    // One statement where a transaction took five round trips (ADR 18): the task ends (only from
    // running in generate, so once), and its result (with what its LLM calls cost) and its outputs'
    // deliveries are stored only if it did.
    const ended = await selectRow<{ status: TaskStatus }>(
      this.db.manager,
      `WITH ended AS (
         UPDATE tasks SET
           status = CASE WHEN sources_failed > 0 OR records_failed > 0 OR $6 OR soft_limited_at IS NOT NULL
                         THEN $2 ELSE $3 END,
           finished_at = now(), updated_at = now()
         WHERE id = $1 AND status = $4 AND stage = $5 RETURNING status),
       stored AS (
         INSERT INTO task_results (task_id, result)
         SELECT $1, $7::jsonb || jsonb_build_object('usage', ${usageJson('$1')}) FROM ended),
       delivered AS (
         INSERT INTO deliveries (id, task_id, key, kind, spec)
         SELECT gen_random_uuid(), $1, d.key, d.kind, d.spec
         FROM jsonb_to_recordset($8::jsonb) AS d(key varchar, kind varchar, spec jsonb)
         WHERE EXISTS (SELECT 1 FROM ended)
         ON CONFLICT (task_id, key) DO NOTHING)
       SELECT status FROM ended`,
      [
        taskId,
        TaskStatus.COMPLETED_WITH_ERRORS,
        TaskStatus.COMPLETED,
        TaskStatus.RUNNING,
        TaskStage.GENERATE,
        summaryFailed,
        JSON.stringify(result),
        JSON.stringify(deliveries),
      ],
    );
    return ended?.status;
  }
}

/** The count of task $1's evaluated records (status $2) passing every threshold of the JSON `thresholds` parameter. */
function countPassingAllSql(thresholds: string): string {
  return `SELECT count(*)::int AS count FROM task_records r
       WHERE r.task_id = $1 AND r.status = $2 AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset(${thresholds}::jsonb) AS t(id text, threshold float8)
         WHERE coalesce((r.scores ->> t.id)::float8, -1) < t.threshold)`;
}

function thresholdsJson(thresholds: readonly DimensionThreshold[]): string {
  return JSON.stringify(thresholds.map(({ id, threshold }) => ({ id, threshold })));
}
