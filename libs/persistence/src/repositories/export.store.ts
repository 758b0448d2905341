import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ExportRecord } from '@app/contracts';
import { recordPages } from './record-pages';
import { selectRows } from './sql';

/** A dimension as an export needs it: the threshold that decides its pass flag, where it has one. */
export interface ExportDimension {
  id: string;
  threshold?: number;
}

/** Field names a CSV export lists at most (records with more keep the rest in the other formats). */
export const MAX_EXPORT_FIELDS = 1000;

interface StoredRecord {
  source_id: string;
  record_id: string;
  status: string;
  error: string | null;
  content: string;
  fields: Record<string, unknown>;
  scores: Record<string, number> | null;
  analyses: Record<string, unknown> | null;
}

/** Reads a task's records for its exports, streamed straight from Postgres. */
@Injectable()
export class ExportStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Every field name any record of the task has, sorted: the CSV header's field columns. */
  async fieldNames(taskId: string): Promise<string[]> {
    const rows = await selectRows<{ name: string }>(
      this.db.manager,
      `SELECT DISTINCT jsonb_object_keys(fields) AS name FROM task_records WHERE task_id = $1 ORDER BY name LIMIT $2`,
      [taskId, MAX_EXPORT_FIELDS],
    );
    return rows.map((row) => row.name);
  }

  async *records(taskId: string, dimensions: readonly ExportDimension[]): AsyncGenerator<ExportRecord> {
    const columns = 'source_id, record_id, status, error, content, fields, scores, analyses';
    for await (const page of recordPages<StoredRecord>(this.db.manager, taskId, columns)) {
      for (const row of page) yield toExportRecord(row, dimensions);
    }
  }
}

function toExportRecord(row: StoredRecord, dimensions: readonly ExportDimension[]): ExportRecord {
  return {
    source_id: row.source_id,
    record_id: row.record_id,
    status: row.status,
    error: row.error,
    content: row.content,
    fields: row.fields,
    dimensions: Object.fromEntries(
      dimensions.map(({ id, threshold }) => {
        const score = row.scores?.[id] ?? null;
        // As in the result: a number without a threshold (a sentiment's confidence) passes.
        const passed = score === null ? null : score >= (threshold ?? 0);
        return [id, { score, passed, analysis: row.analyses?.[id] ?? null }];
      }),
    ),
  };
}
