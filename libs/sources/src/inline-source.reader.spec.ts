import { DataSourceType } from '@app/contracts';
import { InlineSourceReader } from './inline-source.reader';

describe(InlineSourceReader.name, () => {
  const reader = new InlineSourceReader({ maxRecords: 100, batchSize: 2 });
  const live = (): AbortSignal => new AbortController().signal;

  it('serves the records of the request in batches', async () => {
    const batches = [];
    const records = [
      { id: 'a', t: 'x' },
      { id: 'b', t: 'y' },
      { id: 'c', t: 'z' },
    ];
    for await (const batch of reader.read(
      { id: 'in', type: DataSourceType.INLINE, records, idField: 'id', textField: 't' },
      live(),
    ))
      batches.push(batch);
    expect(batches).toEqual([
      [
        { id: 'a', content: 'x', fields: records[0] },
        { id: 'b', content: 'y', fields: records[1] },
      ],
      [{ id: 'c', content: 'z', fields: records[2] }],
    ]);
  });

  it('fails a source without records', async () => {
    const batches = reader.read({ id: 'in', type: DataSourceType.INLINE }, live());
    await expect(batches.next()).rejects.toThrow('source in has no records array');
  });
});
