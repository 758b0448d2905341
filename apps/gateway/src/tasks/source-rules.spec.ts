import type { SourceSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { SourceRules } from './source-rules';

describe(SourceRules.name, () => {
  const live = new SourceRules({ mode: 'live', connections: new Set(['warehouse']) });
  const simulated = new SourceRules({ mode: 'simulated', connections: new Set() });
  const designCard: SourceSpec[] = [
    { id: 'db1', type: DataSourceType.DATABASE, connection: '...' },
    { id: 'api1', type: DataSourceType.API, url: '...' },
  ];

  it('takes url and connection as labels in simulated mode: the design-card example passes', () => {
    expect(simulated.check(designCard)).toEqual([]);
  });

  it('holds live sources to what fetching them needs, naming each field', () => {
    expect(live.check(designCard)).toEqual([
      {
        field: 'data_sources[0].connection',
        reasons: ['connection must name a connection configured on the server (configured: warehouse)'],
      },
      { field: 'data_sources[0].query', reasons: ['query is required for a database source'] },
      { field: 'data_sources[1].url', reasons: ['url must be an http or https URL'] },
    ]);
  });

  it('accepts well-formed live sources', () => {
    const sources: SourceSpec[] = [
      { id: 'db1', type: DataSourceType.DATABASE, connection: 'warehouse', query: 'SELECT * FROM t' },
      { id: 'api1', type: DataSourceType.API, url: 'https://api.example.com/items' },
      { id: 'in1', type: DataSourceType.INLINE, records: [{ a: 1 }] },
    ];
    expect(live.check(sources)).toEqual([]);
  });

  it('refuses a non-http URL and a query that is not one SELECT, in any mode for the query', () => {
    expect(live.check([{ id: 'api1', type: DataSourceType.API, url: 'file:///etc/passwd' }])).toEqual([
      { field: 'data_sources[0].url', reasons: ['url must be an http or https URL'] },
    ]);
    const write: SourceSpec = { id: 'db1', type: DataSourceType.DATABASE, connection: 'x', query: 'DELETE FROM t' };
    expect(simulated.check([write])).toEqual([
      { field: 'data_sources[0].query', reasons: ['query must be a SELECT statement'] },
    ]);
  });

  it('lets a source with simulation knobs be simulated in live mode', () => {
    expect(live.check([{ ...designCard[0], simulation: { records: 3 } }])).toEqual([]);
  });
});
