import { ProviderError } from '@app/contracts';
import { RecordBatcher } from './record-mapper';

describe(RecordBatcher.name, () => {
  const limits = { maxRecords: 5, batchSize: 2 };

  it('hands out full batches as they fill, and the rest on flush', () => {
    const batcher = new RecordBatcher({ id: 's' }, limits);
    expect(batcher.add({ a: 1 })).toBeUndefined();
    expect(batcher.add({ a: 2 })).toHaveLength(2);
    expect(batcher.add({ a: 3 })).toBeUndefined();
    expect(batcher.flush()).toEqual([{ id: '2', content: '{"a":3}', fields: { a: 3 } }]);
    expect(batcher.flush()).toEqual([]);
  });

  it('takes the id and text from the named fields; non-string text as canonical JSON', () => {
    const batcher = new RecordBatcher({ id: 's', idField: 'key', textField: 'body' }, { ...limits, batchSize: 1 });
    expect(batcher.add({ key: 17, body: 'hello' })).toEqual([
      { id: '17', content: 'hello', fields: { key: 17, body: 'hello' } },
    ]);
    expect(batcher.add({ key: 'k', body: { z: 1, a: [2] } })).toEqual([
      { id: 'k', content: '{"a":[2],"z":1}', fields: { key: 'k', body: { z: 1, a: [2] } } },
    ]);
  });

  it("keeps a database driver's dates, big integers and binary values as JSON strings in the fields", () => {
    const batcher = new RecordBatcher({ id: 's', idField: 'id', textField: 'body' }, { ...limits, batchSize: 1 });
    const [record] = batcher.add({
      id: 1,
      body: 'b',
      at: new Date('2025-01-02T03:04:05.000Z'),
      big: 12345678901234567890n,
      raw: Buffer.from('hi'),
    })!;
    expect(record.fields).toEqual({
      id: 1,
      body: 'b',
      at: '2025-01-02T03:04:05.000Z',
      big: '12345678901234567890',
      raw: 'aGk=',
    });
  });

  it.each([
    ['a non-object record', { id: 's' }, 'text', /record 0 of source s is not an object/],
    ['an array record', { id: 's' }, [1], /is not an object/],
    ['a record without its id', { id: 's', idField: 'key' }, { other: 1 }, /no usable id in "key"/],
    ['an object id', { id: 's', idField: 'key' }, { key: { x: 1 } }, /no usable id/],
    ['an id that is too long', { id: 's', idField: 'key' }, { key: 'k'.repeat(300) }, /longer than 256/],
    ['a record without its text', { id: 's', textField: 'body' }, { key: 1 }, /has no "body"/],
  ])('fails the source on %s, not retryably', (_case, source, raw, reason) => {
    const batcher = new RecordBatcher(source, limits);
    expect(() => batcher.add(raw)).toThrow(reason);
    expect(() => batcher.add(raw)).toThrow(ProviderError);
  });

  it('fails the source past maxRecords', () => {
    const batcher = new RecordBatcher({ id: 's' }, limits);
    for (let i = 0; i < 5; i++) batcher.add({ i });
    expect(() => batcher.add({ i: 5 })).toThrow('source s has more than 5 records (DATA_SOURCE_MAX_RECORDS)');
  });
});
