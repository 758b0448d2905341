import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DimensionResultDto, TaskPriority, TaskResultDto, TaskStage, TaskStatus } from '@app/contracts';
import { selectRow, selectRows } from './sql';

/** Which tasks a list shows; every part is optional and they combine with AND. */
export interface TaskListFilter {
  /** Only the tasks of this owner (an API key's name); undefined: everyone's. */
  owner?: string;
  statuses?: readonly TaskStatus[];
  /** Exclusive bounds on created_at. */
  createdAfter?: Date;
  createdBefore?: Date;
  /** Every pair must be among the task's labels. */
  labels?: Readonly<Record<string, string>>;
  /** Only the tasks of this batch. */
  batchId?: string;
}

/**
 * A place in the newest-first order: the last row of the previous page. `createdAt` keeps
 * Postgres's microseconds (a JS Date would round them away and repeat or skip rows).
 */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

export interface TaskSummaryRow {
  id: string;
  status: TaskStatus;
  stage: TaskStage | null;
  sourcesTotal: number;
  sourcesCollected: number;
  sourcesFailed: number;
  recordsTotal: number;
  recordsEvaluated: number;
  recordsFailed: number;
  recordsDropped: number;
  dimensionsTotal: number;
  dimensionsDone: number;
  labels: Record<string, string>;
  priority: TaskPriority;
  softLimitS: number;
  hardLimitS: number;
  softLimitedAt: Date | null;
  retryOf: string | null;
  batchId: string | null;
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  position: KeysetPosition;
}

export interface TaskPage {
  rows: TaskSummaryRow[];
  /** Where the next page starts; undefined on the last page. */
  next: KeysetPosition | undefined;
}

export interface DurationPercentiles {
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
}

export type DurationName = 'queued' | 'collect' | 'evaluate' | 'generate' | 'total';

export interface TaskStatistics {
  finished: { last1m: number; last5m: number; last15m: number };
  durations: Record<DurationName, DurationPercentiles>;
}

export interface DimensionResultPage extends DimensionResultDto {
  passed_records_total: number;
}

export interface TaskResultPage extends Omit<TaskResultDto, 'dimensions'> {
  dimensions: DimensionResultPage[];
}

const SUMMARY_COLUMNS = `id, status, stage, sources_total AS "sourcesTotal", sources_collected AS "sourcesCollected",
  sources_failed AS "sourcesFailed", records_total AS "recordsTotal", records_evaluated AS "recordsEvaluated",
  records_failed AS "recordsFailed", records_dropped AS "recordsDropped", dimensions_total AS "dimensionsTotal", dimensions_done AS "dimensionsDone",
  labels, priority, soft_limit_s AS "softLimitS", hard_limit_s AS "hardLimitS", soft_limited_at AS "softLimitedAt",
  retry_of AS "retryOf", batch_id AS "batchId", error, created_at AS "createdAt", updated_at AS "updatedAt",
  started_at AS "startedAt", finished_at AS "finishedAt",
  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "positionAt"`;

/**
 * What each duration measures, as SQL over one task row. A stage counts only for tasks that went
 * through it; generate only for tasks that completed (a cancel cuts it short).
 */
const DURATIONS: Record<DurationName, string> = {
  queued: 'started_at - created_at',
  collect: 'collected_at - started_at',
  evaluate: 'evaluated_at - collected_at',
  generate: `CASE WHEN status IN ('${TaskStatus.COMPLETED}', '${TaskStatus.COMPLETED_WITH_ERRORS}')
             THEN finished_at - evaluated_at END`,
  total: 'finished_at - created_at',
};

/**
 * The read side of the task API: keyset pages, statistics and result pages, computed in Postgres so
 * that no request reads more rows than it returns (or, for statistics, than the window holds).
 */
@Injectable()
export class TaskQueryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One page, newest first, after the given position. */
  async list(filter: TaskListFilter, after: KeysetPosition | undefined, limit: number): Promise<TaskPage> {
    const { sql, parameters } = listQuery(filter, after, limit + 1);
    const found = await selectRows<Omit<TaskSummaryRow, 'position'> & { positionAt: string }>(
      this.db.manager,
      sql,
      parameters,
    );
    const rows = found.slice(0, limit).map(({ positionAt, ...row }) => ({
      ...row,
      position: { createdAt: positionAt, id: row.id },
    }));
    const next = found.length > limit ? rows[rows.length - 1]?.position : undefined;
    return { rows, next };
  }

  /**
   * Tasks ended lately, and duration percentiles of the tasks that ended within the window; of one
   * owner's tasks when `owner` is given.
   */
  async statistics(windowSeconds: number, owner?: string): Promise<TaskStatistics> {
    const ownerOnly = owner === undefined ? '' : 'AND owner = $2';
    const finished = await selectRow<{ last1m: number; last5m: number; last15m: number }>(
      this.db.manager,
      `SELECT count(*) FILTER (WHERE finished_at > now() - interval '1 minute')::int AS "last1m",
              count(*) FILTER (WHERE finished_at > now() - interval '5 minutes')::int AS "last5m",
              count(*)::int AS "last15m"
       FROM tasks WHERE finished_at > now() - make_interval(secs => $1) ${ownerOnly}`,
      owner === undefined ? [15 * 60] : [15 * 60, owner],
    );
    const names = Object.keys(DURATIONS) as DurationName[];
    const aggregates = names.map(
      (name) =>
        `count(${DURATIONS[name]})::int AS "${name}_count",
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY extract(epoch FROM ${DURATIONS[name]}) * 1000)
           AS "${name}_percentiles"`,
    );
    const durationRow = await selectRow<Record<string, number | number[] | null>>(
      this.db.manager,
      `SELECT ${aggregates.join(',\n')} FROM tasks WHERE finished_at > now() - make_interval(secs => $1) ${ownerOnly}`,
      owner === undefined ? [windowSeconds] : [windowSeconds, owner],
    );

    const durations = Object.fromEntries(
      names.map((name) => {
        const percentiles = (durationRow?.[`${name}_percentiles`] as number[] | null) ?? null;
        return [
          name,
          {
            count: (durationRow?.[`${name}_count`] as number | undefined) ?? 0,
            p50Ms: percentiles ? Math.round(percentiles[0]) : null,
            p95Ms: percentiles ? Math.round(percentiles[1]) : null,
          },
        ];
      }),
    ) as Record<DurationName, DurationPercentiles>;
    return { finished: finished ?? { last1m: 0, last5m: 0, last15m: 0 }, durations };
  }

  /**
   * A task's result with one slice of each dimension's passing records, cut in Postgres: the
   * records from `offset` (0-based) up to `limit` of them, in the order the result lists them.
   */
  async resultPage(taskId: string, offset: number, limit: number): Promise<TaskResultPage | undefined> {
    const row = await selectRow<{ base: Omit<TaskResultDto, 'dimensions'>; dimensions: DimensionResultPage[] | null }>(
      this.db.manager,
      `SELECT r.result - 'dimensions' AS base,
         (SELECT jsonb_agg((d.value - 'passed_records') || jsonb_build_object(
             'passed_records', coalesce((
               SELECT jsonb_agg(p.value ORDER BY p.ordinality)
               FROM jsonb_array_elements(d.value -> 'passed_records') WITH ORDINALITY AS p
               WHERE p.ordinality > $2 AND p.ordinality <= $2 + $3), '[]'::jsonb),
             'passed_records_total', jsonb_array_length(d.value -> 'passed_records'))
           ORDER BY d.ordinality)
          FROM jsonb_array_elements(r.result -> 'dimensions') WITH ORDINALITY AS d) AS dimensions
       FROM task_results r WHERE r.task_id = $1`,
      [taskId, offset, limit],
    );
    if (!row) return undefined;
    return { ...row.base, dimensions: row.dimensions ?? [] };
  }
}

/**
 * The SQL of one page (exported so a test can EXPLAIN exactly what list() runs). With a status filter
 * each status is walked on its own index range (status, created_at, id) and the walks are merged, so
 * a rare status never scans the others; without one the walk is on (created_at, id). One owner's
 * pages walk the same ranges within the owner: (owner, status, created_at, id), (owner, created_at, id).
 */
export function listQuery(
  filter: TaskListFilter,
  after: KeysetPosition | undefined,
  take: number,
): { sql: string; parameters: unknown[] } {
  const parameters: unknown[] = [];
  const bind = (value: unknown): string => {
    parameters.push(value);
    return `$${parameters.length}`;
  };
  const conditions: string[] = [];
  if (filter.owner !== undefined) conditions.push(`owner = ${bind(filter.owner)}`);
  if (filter.batchId !== undefined) conditions.push(`batch_id = ${bind(filter.batchId)}::uuid`);
  if (after) conditions.push(`(created_at, id) < (${bind(after.createdAt)}::timestamptz, ${bind(after.id)}::uuid)`);
  if (filter.createdAfter) conditions.push(`created_at > ${bind(filter.createdAfter.toISOString())}::timestamptz`);
  if (filter.createdBefore) conditions.push(`created_at < ${bind(filter.createdBefore.toISOString())}::timestamptz`);
  if (filter.labels && Object.keys(filter.labels).length > 0) {
    conditions.push(`labels @> ${bind(JSON.stringify(filter.labels))}::jsonb`);
  }
  const limit = bind(take);
  const order = 'ORDER BY created_at DESC, id DESC';
  if (filter.statuses && filter.statuses.length > 0) {
    // One branch per status, each with its value bound, so Postgres plans each for that status's size.
    const branches = [...new Set(filter.statuses)].map(
      (status) =>
        `(SELECT ${SUMMARY_COLUMNS} FROM tasks WHERE ${[`status = ${bind(status)}`, ...conditions].join(' AND ')}
          ${order} LIMIT ${limit})`,
    );
    return {
      sql: `SELECT * FROM (${branches.join(' UNION ALL ')}) page ORDER BY "createdAt" DESC, id DESC LIMIT ${limit}`,
      parameters,
    };
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `SELECT ${SUMMARY_COLUMNS} FROM tasks ${where} ${order} LIMIT ${limit}`, parameters };
}
