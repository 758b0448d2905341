import { canonicalJson } from '@app/common';
import { ProviderError, type SourceRecord } from '@app/contracts';
import type { LiveSourceSpec, SourceLimits } from './live-source';

/** Longest record id the store keeps (task_records.record_id). */
export const MAX_RECORD_ID_LENGTH = 256;

/**
 * Turns a source's raw records into SourceRecords in batches: the id from `idField` (else the
 * position), the text the LLM reads from `textField` (else the whole record), and the record itself as
 * its fields (what the processing chain works on and the export shows). A record that is not
 * an object, lacks its id or text, or one record past `maxRecords` fails the source: these are facts
 * about the source that another attempt would not change.
 */
export class RecordBatcher {
  private position = 0;
  private batch: SourceRecord[] = [];

  constructor(
    private readonly source: Pick<LiveSourceSpec, 'id' | 'idField' | 'textField'>,
    private readonly limits: SourceLimits,
  ) {}

  /** Adds one raw record; returns a full batch when this record completed one. */
  add(raw: unknown): SourceRecord[] | undefined {
    if (this.position >= this.limits.maxRecords) {
      throw invalid(
        `source ${this.source.id} has more than ${this.limits.maxRecords} records (DATA_SOURCE_MAX_RECORDS)`,
      );
    }
    this.batch.push(this.map(raw, this.position++));
    if (this.batch.length < this.limits.batchSize) return undefined;
    return this.flush();
  }

  /** The records added since the last full batch (possibly none). */
  flush(): SourceRecord[] {
    const batch = this.batch;
    this.batch = [];
    return batch;
  }

  private map(raw: unknown, position: number): SourceRecord {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw invalid(`record ${position} of source ${this.source.id} is not an object`);
    }
    const record = raw as Record<string, unknown>;
    return { id: this.idOf(record, position), content: this.textOf(record, position), fields: jsonFields(record) };
  }

  private idOf(record: Record<string, unknown>, position: number): string {
    const field = this.source.idField;
    if (field === undefined) return String(position);
    const value = record[field];
    if ((typeof value !== 'string' && typeof value !== 'number') || String(value) === '') {
      throw invalid(`record ${position} of source ${this.source.id} has no usable id in "${field}"`);
    }
    const id = String(value);
    if (id.length > MAX_RECORD_ID_LENGTH) {
      throw invalid(`record ${position} of source ${this.source.id} has an id longer than ${MAX_RECORD_ID_LENGTH}`);
    }
    return id;
  }

  private textOf(record: Record<string, unknown>, position: number): string {
    const field = this.source.textField;
    if (field === undefined) return canonicalJson(record);
    const value = record[field];
    if (value === undefined || value === null) {
      throw invalid(`record ${position} of source ${this.source.id} has no "${field}"`);
    }
    return typeof value === 'string' ? value : canonicalJson(value);
  }
}

/**
 * The record's fields as JSON carries them, so that the processing chain sees what is stored: a
 * database driver's dates, big integers and binary values become strings.
 */
function jsonFields(record: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (value instanceof Date) fields[name] = value.toISOString();
    else if (typeof value === 'bigint') fields[name] = value.toString();
    else if (Buffer.isBuffer(value)) fields[name] = value.toString('base64');
    else fields[name] = value;
  }
  return fields;
}

function invalid(message: string): ProviderError {
  return new ProviderError(message, { retryable: false });
}
