import { AggregateAccumulator } from './aggregate-accumulator';

describe(AggregateAccumulator.name, () => {
  it('sums, averages, finds min and max and counts the numeric values', () => {
    const accumulator = new AggregateAccumulator({
      type: 'aggregate',
      field: 'n',
      ops: ['sum', 'avg', 'min', 'max', 'count'],
    });
    for (const n of [0.1, 0.2, 3, -4, 'five', null]) accumulator.add({ n });
    accumulator.add({});
    expect(accumulator.result()).toEqual({ field: 'n', values: { sum: -0.7, avg: -0.175, min: -4, max: 3, count: 4 } });
  });

  it('gives only the ops asked for, and nulls where there is nothing to summarise', () => {
    const accumulator = new AggregateAccumulator({ type: 'aggregate', field: 'n', ops: ['max', 'count', 'avg'] });
    expect(accumulator.result()).toEqual({ field: 'n', values: { max: null, count: 0, avg: null } });
  });

  it('groups by a field, ordered by key, records without it last', () => {
    const accumulator = new AggregateAccumulator({
      type: 'aggregate',
      field: 'n',
      ops: ['sum', 'count'],
      group_by: 'category',
    });
    const rows = [
      { category: 'b', n: 1 },
      { category: 'a', n: 2 },
      { category: 'b', n: 3 },
      { n: 4 },
      { category: 7, n: 5 },
      { category: 'a', n: 'x' },
    ];
    for (const row of rows) accumulator.add(row);
    expect(accumulator.result()).toEqual({
      field: 'n',
      group_by: 'category',
      groups: [
        { key: '7', sum: 5, count: 1 },
        { key: 'a', sum: 2, count: 1 },
        { key: 'b', sum: 4, count: 2 },
        { key: null, sum: 4, count: 1 },
      ],
    });
  });
});
