import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  ACTIVE_STATUSES,
  RecordEvaluationStatus,
  SourceOutcome,
  SourceRecord,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import { TaskEntity } from '../entities';
import {
  currentState,
  lockActiveTask,
  selectRow,
  selectRows,
  STARTED_TASK_PARAMETERS,
  startedTaskCtes,
  TASK_STATE_COLUMNS,
  TaskState,
} from './sql';

export interface SourceSettlement {
  taskId: string;
  sourceId: string;
  attempts: number;
  durationMs: number;
}

/** A record as its source's processing chain left it. */
export interface CollectedRecord extends SourceRecord {
  status: RecordEvaluationStatus;
  error: string | null;
  dedupeKey: string | null;
}

/** How a collect job finds its task's sources (CollectionStore.startCollection). */
export interface CollectionOpening {
  /** Whether the task, running in collect, takes new work (false past its soft time limit). */
  open: boolean;
  /** The sources settled already, by an earlier run. */
  settled: Set<string>;
}

/** How a source's stream ended: records offered to the store (after its chain) and those the chain filtered out. */
export interface StreamedSource {
  offered: number;
  dropped: number;
}

/**
 * Writes of the collect stage. A source's records stream in as batches, each stored on its own (no
 * source is ever held whole in memory); the source is then settled once: its row in task_sources is
 * inserted in the same transaction as its counters, and a re-run skips sources that have a row.
 */
@Injectable()
export class CollectionStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * A collect job's task and its opening, in one statement: the task started on the way when it was
   * pending (TaskRepository.start); the sources settled already (a re-run skips them); whether the task,
   * running in collect, still takes new work (not past its soft time limit); and if so, what an earlier,
   * unfinished run stored for the sources not settled is dropped (discardUnsettled). Undefined when
   * the task is gone.
   */
  async startCollection(taskId: string): Promise<{ task: TaskEntity; opening: CollectionOpening } | undefined> {
    const row = await selectRow<TaskEntity & { collectionOpen: boolean; settledSources: string[] }>(
      this.db.manager,
      `WITH ${startedTaskCtes(this.db)},
       open AS (SELECT 1 FROM task WHERE status = $2 AND stage = $4 AND "softLimitedAt" IS NULL),
       dropped AS (${deleteUnsettled('EXISTS (SELECT 1 FROM open)')})
       SELECT task.*, EXISTS (SELECT 1 FROM open) AS "collectionOpen",
         ARRAY(SELECT source_id FROM task_sources WHERE task_id = $1 ORDER BY source_id) AS "settledSources"
       FROM task`,
      [taskId, ...STARTED_TASK_PARAMETERS],
    );
    if (!row) return undefined;
    const { collectionOpen, settledSources, ...task } = row;
    return { task, opening: { open: collectionOpen, settled: new Set(settledSources) } };
  }

  /**
   * startCollection()'s opening for one source, before the first attempt of a source that starts later in the
   * job: whether the task still takes new work, and if so, what an earlier run left of the source is
   * dropped in the same statement.
   */
  async openSource(taskId: string, sourceId: string): Promise<boolean> {
    const row = await selectRow<{ open: boolean }>(
      this.db.manager,
      `WITH open AS (${TAKES_NEW_WORK}),
       dropped AS (${deleteUnsettled('r.source_id = $2 AND EXISTS (SELECT 1 FROM open)')})
       SELECT EXISTS (SELECT 1 FROM open) AS open`,
      [taskId, sourceId],
    );
    return row?.open === true;
  }

  /**
   * Drops what an earlier, unfinished attempt at an unsettled source stored, so that a source's records
   * are exactly those of the attempt that settles it.
   */
  async discardUnsettled(taskId: string, sourceId: string): Promise<void> {
    await selectRows(this.db.manager, deleteUnsettled('r.source_id = $2'), [taskId, sourceId]);
  }

  /**
   * Stores one batch of a source's records as its processing chain left them (failed ones with their
   * reasons, each with its dedupe key if the chain has a dedupe step), `position` being the first one's
   * place among the source's stored records. A record whose id or dedupe key the task holds already is
   * left out (ON CONFLICT covers the dedupe index too). False when nothing was stored because the task
   * has ended or the source was settled meanwhile.
   */
  async saveBatch(
    taskId: string,
    sourceId: string,
    position: number,
    records: readonly CollectedRecord[],
  ): Promise<boolean> {
    const row = await selectRow<{ open: boolean }>(
      this.db.manager,
      `WITH open AS (
         SELECT EXISTS (SELECT 1 FROM tasks WHERE id = $1 AND status = ANY($4))
           AND NOT EXISTS (SELECT 1 FROM task_sources WHERE task_id = $1 AND source_id = $2) AS open),
       inserted AS (
         ${insertRecords('$3')}
         WHERE open.open
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT open FROM open`,
      [taskId, sourceId, recordRows(position, records), ACTIVE_STATUSES],
    );
    return row?.open ?? false;
  }

  /**
   * Settles a source, storing its last batch (`last`, at `position` among its records; none when it
   * was stored by saveBatch) in the same statement, and counts its records (and the failed ones among
   * them) from what the table holds plus what this statement stored; records offered but left out as
   * duplicates count as dropped, beside those the chain filtered out. Undefined when nothing changed:
   * the source had been settled already (a re-run), or the task has ended (a late write must not
   * change a cancelled task's figures).
   */
  async saveCollected(
    settlement: SourceSettlement,
    streamed: StreamedSource,
    last: { position: number; records: readonly CollectedRecord[] } = { position: 0, records: [] },
  ): Promise<{ records: number; dropped: number } | undefined> {
    // One statement where a transaction took five (ADR 18), and the last batch's own (ADR 21). Its FOR
    // UPDATE takes the task row's lock as lockActiveTask() does (a cancel waits, or is seen: the
    // status is checked again on the row's latest version); the counts follow from the settlement's
    // insert, so a re-run changes nothing. The rows this statement inserts are not in its snapshot:
    // they are counted from the insert's RETURNING.
    const row = await selectRow<{ records: number; dropped: number }>(
      this.db.manager,
      `WITH active AS (
         SELECT id FROM tasks WHERE id = $1 AND status = ANY($6) FOR UPDATE),
       open AS (
         SELECT 1 FROM active WHERE NOT EXISTS (SELECT 1 FROM task_sources WHERE task_id = $1 AND source_id = $2)),
       inserted AS (
         ${insertRecords('$10')}
         ON CONFLICT DO NOTHING RETURNING status),
       counted AS (
         SELECT s.records + i.records AS records, s.failed + i.failed AS failed,
                $8::int + GREATEST(0, $9::int - (s.records + i.records)) AS dropped
         FROM (SELECT count(*)::int AS records, (count(*) FILTER (WHERE status = $7))::int AS failed
               FROM task_records WHERE task_id = $1 AND source_id = $2) s,
              (SELECT count(*)::int AS records, (count(*) FILTER (WHERE status = $7))::int AS failed
               FROM inserted) i),
       settled AS (
         INSERT INTO task_sources (task_id, source_id, outcome, records, attempts, duration_ms, error)
         SELECT $1, $2, $3, counted.records, $4, $5, NULL FROM counted, open
         ON CONFLICT DO NOTHING RETURNING source_id),
       counters AS (
         UPDATE tasks SET sources_collected = sources_collected + 1, records_total = records_total + c.records,
           records_failed = records_failed + c.failed, records_dropped = records_dropped + c.dropped,
           updated_at = now()
         FROM counted c WHERE tasks.id = $1 AND EXISTS (SELECT 1 FROM settled))
       SELECT records, dropped FROM counted WHERE EXISTS (SELECT 1 FROM settled)`,
      [
        settlement.taskId,
        settlement.sourceId,
        SourceOutcome.COLLECTED,
        settlement.attempts,
        Math.round(settlement.durationMs),
        ACTIVE_STATUSES,
        RecordEvaluationStatus.FAILED,
        streamed.dropped,
        streamed.offered,
        recordRows(last.position, last.records),
      ],
    );
    return row;
  }

  async saveFailed(settlement: SourceSettlement, error: string): Promise<boolean> {
    return this.db.transaction(async (manager) => {
      if (!(await lockActiveTask(manager, settlement.taskId))) return false;
      if (!(await this.insertSettlement(manager, settlement, SourceOutcome.FAILED, 0, error))) return false;
      // What a failed source delivered before it failed is not part of the task.
      await manager.query('DELETE FROM task_records WHERE task_id = $1 AND source_id = $2', [
        settlement.taskId,
        settlement.sourceId,
      ]);
      await manager.query('UPDATE tasks SET sources_failed = sources_failed + 1, updated_at = now() WHERE id = $1', [
        settlement.taskId,
      ]);
      return true;
    });
  }

  /**
   * Ends the collect stage once every source is settled: fails the task when no source delivered,
   * otherwise cuts the records still to evaluate into chunks and moves the task on (straight to
   * generate when there are none: no dimensions, or every record failed its chain). Returns the task's state
   * afterwards (also when another run had moved it already).
   */
  async finishCollection(taskId: string, chunkSize: number): Promise<TaskState | undefined> {
    // One statement where a transaction took five round trips (ADR 18). The chunks are cut by joining
    // on the rows' ctid, not their key: right after collection the table's statistics do not know the
    // task's rows yet, and with a key join the planner chose a nested loop over an index scan of the
    // whole source per record (quadratic: 20,000 records outlasted statement_timeout). A TID scan is
    // one row per record whatever the statistics; the ctids come from the statement's own snapshot,
    // and nothing else updates the task's records before its chunks exist.
    const moved = await selectRow<TaskState>(
      this.db.manager,
      `WITH pending AS (SELECT count(*) AS n FROM task_records WHERE task_id = $1 AND status = $7),
       moved AS (
         UPDATE tasks SET
           status = CASE WHEN ${NONE_COLLECTED} THEN $8 ELSE status END,
           error = CASE WHEN ${NONE_COLLECTED} THEN 'every data source failed' ELSE error END,
           finished_at = CASE WHEN ${NONE_COLLECTED} THEN now() ELSE finished_at END,
           stage = CASE WHEN ${NONE_COLLECTED} THEN stage WHEN (SELECT n FROM pending) = 0 THEN $2 ELSE $3 END,
           chunks_total = CASE WHEN ${NONE_COLLECTED} THEN chunks_total
                               ELSE ceil((SELECT n FROM pending)::numeric / $4::int)::int END,
           collected_at = CASE WHEN ${NONE_COLLECTED} THEN collected_at ELSE now() END,
           -- Without records there is nothing to evaluate: that stage ends as it starts.
           evaluated_at = CASE WHEN NOT ${NONE_COLLECTED} AND (SELECT n FROM pending) = 0 THEN now()
                               ELSE evaluated_at END,
           updated_at = now()
         WHERE id = $1 AND status = $5 AND stage = $6 AND sources_collected + sources_failed = sources_total
         RETURNING ${TASK_STATE_COLUMNS}),
       chunked AS (
         UPDATE task_records r SET chunk = o.rn / $4::int
         FROM (SELECT ctid AS row_ctid, row_number() OVER (ORDER BY source_id, position) - 1 AS rn
               FROM task_records WHERE task_id = $1 AND status = $7) o
         WHERE r.ctid = o.row_ctid AND r.chunk IS DISTINCT FROM o.rn / $4::int
           AND EXISTS (SELECT 1 FROM moved WHERE moved.stage = $3))
       SELECT * FROM moved`,
      [
        taskId,
        TaskStage.GENERATE,
        TaskStage.EVALUATE,
        chunkSize,
        TaskStatus.RUNNING,
        TaskStage.COLLECT,
        RecordEvaluationStatus.PENDING,
        TaskStatus.FAILED,
      ],
    );
    return moved ?? currentState(this.db.manager, taskId);
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

/** In finishCollection's UPDATE of the task (the row before it): not one source delivered, every one failed. */
const NONE_COLLECTED = '(sources_collected = 0)';

/** A row while task $1 takes new work: it exists and has not reached its soft time limit. */
const TAKES_NEW_WORK = 'SELECT 1 FROM tasks WHERE id = $1 AND soft_limited_at IS NULL';

/**
 * The DELETE of what an unfinished run stored for task $1's sources that are not settled, of the
 * records `where` selects (`r`): a source's records are exactly those of the attempt that settles it.
 */
function deleteUnsettled(where: string): string {
  return `DELETE FROM task_records r WHERE r.task_id = $1 AND ${where}
         AND NOT EXISTS (SELECT 1 FROM task_sources s WHERE s.task_id = $1 AND s.source_id = r.source_id)`;
}

/**
 * The INSERT of a batch of records (`batch`: the parameter holding recordRows()) for task $1, source
 * $2, joined with the statement's `open` CTE. A record left to evaluate goes in chunk 0 until the
 * collect stage ends and cuts the chunks (finishCollection): that then moves only the records beyond
 * the first chunk, and a task whose records fit in one chunk updates none.
 */
function insertRecords(batch: string): string {
  return `INSERT INTO task_records (task_id, source_id, record_id, position, content, fields, status, error, dedupe_key,
                            chunk)
         SELECT $1, $2, r.id, r.position, r.content, r.fields, r.status, r.error, r.dedupe_key,
                CASE WHEN r.status = '${RecordEvaluationStatus.PENDING}' THEN 0 END
         FROM jsonb_to_recordset(${batch}::jsonb)
           AS r(id varchar, position int, content text, fields jsonb, status varchar, error text, dedupe_key varchar),
           open`;
}

/** A batch of records as the statements above read it (jsonb_to_recordset), numbered from `position`. */
function recordRows(position: number, records: readonly CollectedRecord[]): string {
  return JSON.stringify(
    records.map((record, offset) => ({
      id: record.id,
      position: position + offset,
      content: record.content,
      fields: record.fields,
      status: record.status,
      error: record.error,
      dedupe_key: record.dedupeKey,
    })),
  );
}
