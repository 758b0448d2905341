import { ProviderError, type SourceRecord } from '@app/contracts';
import type { LiveSourceSpec, SourceLimits } from './live-source';
import { RecordBatcher } from './record-mapper';

/** Serves the records a request carried itself (small jobs; the request size bounds them). */
export class InlineSourceReader {
  constructor(private readonly limits: SourceLimits) {}

  // A generator like the other readers, though nothing here is awaited: the records are in the request.
  // eslint-disable-next-line @typescript-eslint/require-await
  async *read(source: LiveSourceSpec, signal: AbortSignal): AsyncGenerator<SourceRecord[]> {
    if (!Array.isArray(source.records)) {
      throw new ProviderError(`source ${source.id} has no records array`, { retryable: false });
    }
    const batcher = new RecordBatcher(source, this.limits);
    for (const raw of source.records) {
      signal.throwIfAborted();
      const batch = batcher.add(raw);
      if (batch) yield batch;
    }
    const rest = batcher.flush();
    if (rest.length > 0) yield rest;
  }
}
