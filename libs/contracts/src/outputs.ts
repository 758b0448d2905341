/** One offending field of a request, named by its JSON path, with every reason (the 400's `fields`). */
export interface FieldError {
  field: string;
  reasons: string[];
}

/** Where a task's records go once it ends (`outputs` of a task request); libs/export renders them. */

export const EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export interface ExportOutput {
  type: 'export';
  format: ExportFormat;
  to: 'webhook';
  url: string;
}

export interface EmailOutput {
  type: 'email';
  to: string[];
  subject?: string;
}

export type OutputSpec = ExportOutput | EmailOutput;

/** The outbox delivery kind of each output type. */
export const OUTPUT_DELIVERY_KINDS: Record<OutputSpec['type'], string> = {
  export: 'output.export',
  email: 'output.email',
};

/** One record of an export: what it was collected as, what the chain made of it, what the LLM said. */
export interface ExportRecord {
  source_id: string;
  record_id: string;
  status: string;
  error: string | null;
  content: string;
  fields: Record<string, unknown>;
  /** Per dimension id: its number (where the kind yields one), whether it passed, and the analysis. */
  dimensions: Record<string, { score: number | null; passed: boolean | null; analysis: unknown }>;
}
