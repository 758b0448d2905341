import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { CreateTaskDto, DataSourceDto } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { openTestDataSource, testDatabaseSettings } from '../support/database';
import { HttpTestServer, json } from '../support/http-test-server';
import { TestSystem } from './support/test-system';

const dimension = { id: 'quality', name: 'Quality', threshold: 0.5 };

/**
 * The four apps with DATA_SOURCE_MODE=live: api sources on a loopback HTTP server (allowed through
 * OUTBOUND_ALLOWED_HOSTS), database sources on the test PostgreSQL and on MariaDB (named connections
 * of DATA_SOURCE_CONNECTIONS), inline records in the request; collected for real, stored as they stream.
 */
describe('live sources (four apps as processes, DATA_SOURCE_MODE=live)', () => {
  let system: TestSystem;
  let db: DataSource;
  const settings = testDatabaseSettings();
  const warehouse = `postgres://${settings.DATABASE_USER}:${settings.DATABASE_PASSWORD}@${settings.DATABASE_HOST}:${settings.DATABASE_PORT}/${settings.DATABASE_NAME}`;
  const mysqlServer = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
  const suffix = `${process.pid}_${Date.now()}`;
  const table = `e2e_reviews_${suffix}`;
  const shopDatabase = `e2e_shop_${suffix}`;
  const api = new HttpTestServer({
    '/reviews': (req, res, base) => {
      const page = Number(new URL(req.url ?? '', base).searchParams.get('page') ?? '1');
      const items = [1, 2, 3].map((n) => ({ id: `p${page}-${n}`, text: `review ${n} on page ${page}` }));
      // Page 1 points on through a `next` field, page 2 through a Link header.
      if (page === 1) json(res, { data: { items }, next: '/reviews?page=2' });
      else if (page === 2) json(res, { data: { items } }, { link: '</reviews?page=3>; rel="next"' });
      else json(res, { data: { items: [] } });
    },
    '/events.ndjson': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (let n = 1; n <= 3; n++) res.write(`${JSON.stringify({ event: n, what: `event ${n}` })}\n`);
      res.end();
    },
  });
  let apiBase: string;

  beforeAll(async () => {
    db = await openTestDataSource();
    const client = new Client({ connectionString: warehouse });
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, body text)`);
    await client.query(`INSERT INTO ${table} SELECT g, 'stored review ' || g FROM generate_series(1, 4) g`);
    await client.end();
    const mysql = await createConnection({ uri: mysqlServer });
    await mysql.query(`CREATE DATABASE ${shopDatabase}`);
    await mysql.query(`CREATE TABLE ${shopDatabase}.orders (id int PRIMARY KEY, note text)`);
    await mysql.query(`INSERT INTO ${shopDatabase}.orders (id, note) VALUES (1, 'order one'), (2, 'order two')`);
    await mysql.end();
    apiBase = await api.start();
    system = await TestSystem.start({
      env: {
        DATA_SOURCE_MODE: 'live',
        DATA_SOURCE_CONNECTIONS: JSON.stringify({ warehouse, shop: `${mysqlServer}/${shopDatabase}` }),
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        DATA_SOURCE_BATCH_SIZE: '2',
        SIM_LLM_FAILURE_RATE: '0',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await api.stop();
    await db?.query(`DROP TABLE IF EXISTS ${table}`);
    await db?.destroy();
    const mysql = await createConnection({ uri: mysqlServer });
    await mysql.query(`DROP DATABASE IF EXISTS ${shopDatabase}`);
    await mysql.end();
  }, 30_000);

  it('reads api (both paginations, NDJSON), PostgreSQL, MariaDB and inline sources; a refused address fails its source only', async () => {
    const spec: CreateTaskDto = {
      data_sources: [
        {
          id: 'pages',
          type: DataSourceType.API,
          url: `${apiBase}/reviews`,
          records_path: 'data.items',
          id_field: 'id',
          text_field: 'text',
        },
        { id: 'stream', type: DataSourceType.API, url: `${apiBase}/events.ndjson`, id_field: 'event' },
        {
          id: 'table',
          type: DataSourceType.DATABASE,
          connection: 'warehouse',
          query: `SELECT id, body FROM ${table} ORDER BY id`,
          id_field: 'id',
          text_field: 'body',
        },
        {
          id: 'orders',
          type: DataSourceType.DATABASE,
          connection: 'shop',
          query: 'SELECT id, note FROM orders ORDER BY id',
          id_field: 'id',
          text_field: 'note',
        },
        {
          id: 'given',
          type: DataSourceType.INLINE,
          records: [{ note: 'first' }, { note: 'second' }],
          text_field: 'note',
        },
        { id: 'metadata', type: DataSourceType.API, url: 'http://169.254.169.254/latest/meta-data/' },
      ],
      llm_config: { model: 'gpt-4o-mini', temperature: 0 },
      dimensions: [dimension],
    };
    const task = await system.waitForEnd(await system.submit(spec), 60_000);
    expect(task.status).toBe('completed_with_errors');
    expect(task.progress).toMatchObject({
      sources_collected: 5,
      sources_failed: 1,
      records_total: 17,
      records_evaluated: 17,
      records_failed: 0,
    });
    expect(task.errors).toEqual([
      expect.objectContaining({
        stage: 'collect',
        source_id: 'metadata',
        message: expect.stringMatching(/refused to connect to metadata address 169\.254\.169\.254/),
      }),
    ]);
    const rows = await db.query<{ source_id: string; record_id: string; content: string }[]>(
      'SELECT source_id, record_id, content FROM task_records WHERE task_id = $1 ORDER BY source_id, position',
      [task.id],
    );
    const of = (sourceId: string, column: 'record_id' | 'content') =>
      rows.filter((row) => row.source_id === sourceId).map((row) => row[column]);
    expect(of('pages', 'record_id')).toEqual(['p1-1', 'p1-2', 'p1-3', 'p2-1', 'p2-2', 'p2-3']);
    expect(of('stream', 'record_id')).toEqual(['1', '2', '3']);
    expect(of('table', 'content')).toEqual([
      'stored review 1',
      'stored review 2',
      'stored review 3',
      'stored review 4',
    ]);
    expect(of('orders', 'content')).toEqual(['order one', 'order two']);
    expect(rows.filter((row) => row.source_id === 'given').map((row) => [row.record_id, row.content])).toEqual([
      ['0', 'first'],
      ['1', 'second'],
    ]);
    // Both paginations followed, up to the page that points nowhere.
    expect(api.hits.filter((hit) => hit.startsWith('/reviews'))).toEqual([
      '/reviews',
      '/reviews?page=2',
      '/reviews?page=3',
    ]);
  }, 90_000);

  it('refuses bad live sources with a 400 naming the field, storing nothing', async () => {
    const [{ count: before }] = await db.query<{ count: number }[]>('SELECT count(*)::int AS count FROM tasks');
    const cases: [Partial<DataSourceDto>, string][] = [
      [{ type: DataSourceType.DATABASE, connection: 'nowhere', query: 'SELECT 1' }, 'data_sources[0].connection'],
      [{ type: DataSourceType.DATABASE, connection: 'warehouse' }, 'data_sources[0].query'],
      [
        { type: DataSourceType.DATABASE, connection: 'warehouse', query: `DELETE FROM ${table}` },
        'data_sources[0].query',
      ],
      [{ type: DataSourceType.API, url: 'ftp://example.com/items' }, 'data_sources[0].url'],
      [{ type: DataSourceType.API }, 'data_sources[0].url'],
      [{ type: DataSourceType.INLINE, records: [1, 'two'] as never }, 'data_sources[0].records'],
      [{ type: DataSourceType.INLINE }, 'data_sources[0].records'],
    ];
    for (const [source, field] of cases) {
      const response = await system.request('POST', '/api/v1/tasks', {
        data_sources: [{ id: 'bad', ...source }],
        llm_config: { model: 'gpt-4o-mini' },
        dimensions: [dimension],
      });
      expect({ source, status: response.status }).toEqual({ source, status: 400 });
      expect(response.body.fields.map((entry: { field: string }) => entry.field)).toContain(field);
    }
    const [{ count: after }] = await db.query<{ count: number }[]>('SELECT count(*)::int AS count FROM tasks');
    expect(after).toBe(before);
  });

  it('still serves a source with simulation knobs from the simulator, as the design-card example', async () => {
    const task = await system.waitForEnd(
      await system.submit({
        data_sources: [
          { id: 'db1', type: DataSourceType.DATABASE, connection: '...', simulation: { records: 3, failure_rate: 0 } },
        ],
        llm_config: { model: 'gpt-4o-mini' },
        dimensions: [dimension],
      }),
      60_000,
    );
    expect(task.status).toBe('completed');
    expect(task.progress).toMatchObject({ records_total: 3, records_evaluated: 3 });
  }, 60_000);
});
