import type { ExportFormat, ExportRecord } from '@app/contracts';
import { csvLine } from './csv';

/** What the CSV header needs to know before the first record: every field name and dimension. */
export interface ExportLayout {
  fieldNames: readonly string[];
  dimensionIds: readonly string[];
}

/** Text is handed on in pieces of about this size: few writes, and memory stays flat. */
const PIECE_CHARS = 64 * 1024;

/**
 * Renders records as they arrive; it holds one piece of output at a time, so a consumer that reads
 * slowly (an HTTP client, a webhook upload) holds back the reading of the records too.
 */
export async function* renderExport(
  format: ExportFormat,
  layout: ExportLayout,
  records: AsyncIterable<ExportRecord>,
): AsyncGenerator<string> {
  let piece = format === 'json' ? '[' : format === 'csv' ? csvLine(csvHeader(layout)) : '';
  let first = true;
  for await (const record of records) {
    switch (format) {
      case 'json':
        piece += `${first ? '\n' : ',\n'}${JSON.stringify(record)}`;
        break;
      case 'ndjson':
        piece += `${JSON.stringify(record)}\n`;
        break;
      case 'csv':
        piece += csvLine(csvValues(layout, record));
        break;
    }
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  if (format === 'json') piece += first ? ']\n' : '\n]\n';
  if (piece.length > 0) yield piece;
}

const FIXED_COLUMNS = ['source_id', 'record_id', 'status', 'error', 'content'] as const;

function csvHeader(layout: ExportLayout): string[] {
  return [
    ...FIXED_COLUMNS,
    ...layout.fieldNames.map((name) => `fields.${name}`),
    ...layout.dimensionIds.flatMap((id) => [`${id}.score`, `${id}.passed`, `${id}.analysis`]),
  ];
}

function csvValues(layout: ExportLayout, record: ExportRecord): unknown[] {
  return [
    ...FIXED_COLUMNS.map((column) => record[column]),
    ...layout.fieldNames.map((name) => record.fields[name]),
    ...layout.dimensionIds.flatMap((id) => {
      const dimension = record.dimensions[id];
      return [dimension?.score, dimension?.passed, dimension?.analysis];
    }),
  ];
}
