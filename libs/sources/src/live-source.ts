import type { SourceSpec } from '@app/contracts';

/** What a live source reader reads: the task's source (its api, database or inline fields). */
export type LiveSourceSpec = SourceSpec;

export interface SourceLimits {
  /** Records per source; a source with more fails. */
  maxRecords: number;
  /** Records stored per batch: what one source holds in memory at a time. */
  batchSize: number;
}
