import type { DataSourceReader, SourceRecord, SourceSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import type { LiveSourceSpec } from '@app/sources';

/** A reader of one kind of live source. */
export interface LiveSourceReader {
  read(source: LiveSourceSpec, signal: AbortSignal): AsyncIterable<SourceRecord[]>;
}

/** What fetches api and database sources for real (DATA_SOURCE_MODE=live). */
export interface LiveReaders {
  api: LiveSourceReader;
  database: LiveSourceReader;
}

/**
 * Sends each source to what serves it: `inline` records are always read from the request; `api` and
 * `database` sources go to the simulator in simulated mode (no live readers; url and connection are
 * labels then) or when they carry simulation knobs, and are fetched for real in live mode.
 */
export class SourceReaderRouter implements DataSourceReader {
  constructor(
    private readonly simulator: DataSourceReader,
    private readonly inline: LiveSourceReader,
    private readonly live: LiveReaders | undefined,
  ) {}

  read(source: SourceSpec, signal: AbortSignal): AsyncIterable<SourceRecord[]> {
    if (source.type === DataSourceType.INLINE) return this.inline.read(source, signal);
    if (this.live === undefined || source.simulation !== undefined) return this.simulator.read(source, signal);
    switch (source.type) {
      case DataSourceType.API:
        return this.live.api.read(source, signal);
      case DataSourceType.DATABASE:
        return this.live.database.read(source, signal);
    }
  }
}
