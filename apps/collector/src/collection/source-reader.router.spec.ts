import type { SourceSpec, SourceRecord } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import type { LiveSourceReader } from './source-reader.router';
import { SourceReaderRouter } from './source-reader.router';

/** A reader that answers with one record naming itself. */
class NamedReader implements LiveSourceReader {
  constructor(private readonly name: string) {}

  async *read(source: { id: string }): AsyncGenerator<SourceRecord[]> {
    yield [{ id: source.id, content: this.name, fields: {} }];
  }
}

async function servedBy(router: SourceReaderRouter, source: SourceSpec): Promise<string> {
  for await (const [record] of router.read(source, new AbortController().signal)) return record.content;
  return 'nothing';
}

describe(SourceReaderRouter.name, () => {
  const readers = { api: new NamedReader('api'), database: new NamedReader('database') };
  const inlineReader = new NamedReader('inline');
  const simulator = new NamedReader('simulator');
  const api: SourceSpec = { id: 'a', type: DataSourceType.API, url: 'https://example.com' };
  const db: SourceSpec = { id: 'd', type: DataSourceType.DATABASE, connection: 'w', query: 'SELECT 1' };
  const inline: SourceSpec = { id: 'i', type: DataSourceType.INLINE, records: [{ a: 1 }] };

  it('simulates api and database sources in simulated mode, and reads inline records from the request', async () => {
    const router = new SourceReaderRouter(simulator, inlineReader, undefined);
    expect(await servedBy(router, api)).toBe('simulator');
    expect(await servedBy(router, db)).toBe('simulator');
    expect(await servedBy(router, inline)).toBe('inline');
  });

  it('fetches them for real in live mode, unless a source carries simulation knobs', async () => {
    const router = new SourceReaderRouter(simulator, inlineReader, readers);
    expect(await servedBy(router, api)).toBe('api');
    expect(await servedBy(router, db)).toBe('database');
    expect(await servedBy(router, inline)).toBe('inline');
    expect(await servedBy(router, { ...api, simulation: { records: 2 } })).toBe('simulator');
  });
});
