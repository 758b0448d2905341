/** What a live source reader needs to know about one source of a task. */
export interface LiveSourceSpec {
  id: string;
  /** api, database or inline. */
  type: string;
  /** api: the first page. */
  url?: string;
  /** api: dotted path of the records array inside a JSON object body, e.g. "data.items". */
  recordsPath?: string;
  /** database: name of a connection in DATA_SOURCE_CONNECTIONS. */
  connection?: string;
  /** database: one read-only SELECT. */
  query?: string;
  /** inline: the records themselves. */
  records?: unknown[];
  /** Field holding a record's id; without it a record's id is its position (0, 1, ...). */
  idField?: string;
  /** Field holding what the LLM reads; without it, the whole record. */
  textField?: string;
}

export interface SourceLimits {
  /** Records per source; a source with more fails. */
  maxRecords: number;
  /** Records stored per batch: what one source holds in memory at a time. */
  batchSize: number;
}
