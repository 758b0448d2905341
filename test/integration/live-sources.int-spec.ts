import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import type { SourceRecord } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { AllowedHosts, OutboundGuard, OutboundHttpClient } from '@app/outbound';
import { parseConnections } from '@app/config';
import { ApiSourceReader, DatabaseSourceReader, type LiveSourceSpec } from '@app/sources';
import { testDatabaseSettings } from '../support/database';
import { HttpTestServer, json } from '../support/http-test-server';

const live = (): AbortSignal => new AbortController().signal;

async function collect(batches: AsyncIterable<SourceRecord[]>): Promise<{ records: SourceRecord[]; sizes: number[] }> {
  const records: SourceRecord[] = [];
  const sizes: number[] = [];
  for await (const batch of batches) {
    sizes.push(batch.length);
    records.push(...batch);
  }
  return { records, sizes };
}

async function failure(batches: AsyncIterable<SourceRecord[]>): Promise<unknown> {
  try {
    await collect(batches);
  } catch (error) {
    return error;
  }
  throw new Error('expected the source to fail');
}

const items = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ id: `item-${from + i}`, text: `record number ${from + i}`, n: from + i }));

describe(ApiSourceReader.name, () => {
  const server = new HttpTestServer({
    '/array': (_req, res) => json(res, items(0, 5)),
    '/linked': (req, res, base) => {
      const page = Number(new URL(req.url ?? '', base).searchParams.get('page') ?? '1');
      const link: Record<string, string> =
        page < 3 ? { link: `<${base}/linked?page=${page + 1}>; rel="next", <${base}/linked?page=3>; rel="last"` } : {};
      json(res, items((page - 1) * 4, 4), link);
    },
    '/fielded': (req, res, base) => {
      const page = Number(new URL(req.url ?? '', base).searchParams.get('page') ?? '1');
      json(res, { data: { items: items((page - 1) * 3, 3) }, next: page < 2 ? `/fielded?page=${page + 1}` : null });
    },
    '/endless': (req, res, base) => json(res, { items: items(0, 1), next: `${base}/endless?x=${Math.random()}` }),
    '/stream': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for (const item of items(0, 2500)) res.write(`${JSON.stringify(item)}\n`);
      res.end();
    },
    '/to-metadata': (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    '/to-other-loopback': (_req, res, base) =>
      res.writeHead(301, { location: base.replace('127.0.0.1', '127.0.0.2') + '/array' }).end(),
    '/to-array': (_req, res) => res.writeHead(307, { location: '/array' }).end(),
    '/huge': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      for (let i = 0; i < 2000; i++) res.write(`${JSON.stringify({ id: i, text: 'x'.repeat(100) })},`);
      res.end('{}]');
    },
    '/broken': (_req, res) => res.writeHead(503).end('down for maintenance'),
    '/missing': (_req, res) => res.writeHead(404).end('no such thing'),
    '/not-json': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
  });
  let base: string;
  let reader: ApiSourceReader;
  const limits = { maxBytes: 200 * 1024, maxPages: 10, maxRecords: 10_000, batchSize: 1000 };

  beforeAll(async () => {
    base = await server.start();
    reader = new ApiSourceReader(new OutboundHttpClient(new OutboundGuard(AllowedHosts.parse('127.0.0.1'))), limits);
  });
  afterAll(() => server.stop());

  const source = (path: string, extra: Partial<LiveSourceSpec> = {}): LiveSourceSpec => ({
    id: 'api1',
    type: DataSourceType.API,
    url: `${base}${path}`,
    ...extra,
  });

  it('reads a top-level array; ids are positions and the LLM reads the whole record without idField', async () => {
    const { records } = await collect(reader.read(source('/array'), live()));
    expect(records.map((record) => record.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(records[1]).toEqual({
      id: '1',
      content: '{"id":"item-1","n":1,"text":"record number 1"}',
      fields: { id: 'item-1', n: 1, text: 'record number 1' },
    });
  });

  it('follows Link rel="next" headers, taking id and text from the named fields', async () => {
    const { records } = await collect(reader.read(source('/linked', { idField: 'id', textField: 'text' }), live()));
    expect(records).toHaveLength(12);
    expect(records[11]).toEqual({
      id: 'item-11',
      content: 'record number 11',
      fields: { id: 'item-11', n: 11, text: 'record number 11' },
    });
  });

  it('follows a relative `next` field and reads the array at recordsPath', async () => {
    const { records } = await collect(
      reader.read(source('/fielded', { recordsPath: 'data.items', idField: 'n' }), live()),
    );
    expect(records.map((record) => record.id)).toEqual(['0', '1', '2', '3', '4', '5']);
  });

  it('stops following pages at the page limit', async () => {
    const { records } = await collect(reader.read(source('/endless', { recordsPath: 'items', idField: 'n' }), live()));
    expect(records).toHaveLength(limits.maxPages);
  });

  it('streams an NDJSON body in batches', async () => {
    const { records, sizes } = await collect(reader.read(source('/stream', { idField: 'id' }), live()));
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(records[2499].id).toBe('item-2499');
  });

  it('follows a redirect to an allowed address', async () => {
    const { records } = await collect(reader.read(source('/to-array'), live()));
    expect(records).toHaveLength(5);
  });

  it.each([
    ['/to-metadata', /metadata address 169\.254\.169\.254/],
    ['/to-other-loopback', /loopback address 127\.0\.0\.2/],
  ])('refuses the redirect of %s, without retrying', async (path, reason) => {
    const error = await failure(reader.read(source(path), live()));
    expect(error).toMatchObject({ name: 'ProviderError', retryable: false, message: expect.stringMatching(reason) });
  });

  it('refuses a loopback source that is not allowed', async () => {
    const strict = new ApiSourceReader(new OutboundHttpClient(new OutboundGuard(AllowedHosts.parse(''))), limits);
    const hits = server.hits.length;
    const error = await failure(strict.read(source('/array'), live()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/refused to connect to loopback/) });
    expect(server.hits).toHaveLength(hits);
  });

  it('cuts a body larger than maxBytes', async () => {
    const error = await failure(reader.read(source('/huge'), live()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/larger than 204800 bytes/) });
  });

  it('fails a source with more records than maxRecords', async () => {
    const small = new ApiSourceReader(new OutboundHttpClient(new OutboundGuard(AllowedHosts.parse('127.0.0.1'))), {
      ...limits,
      maxRecords: 4,
    });
    const error = await failure(small.read(source('/array'), live()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/more than 4 records/) });
  });

  it.each([
    ['/broken', true, /HTTP 503 .*down for maintenance/],
    ['/missing', false, /HTTP 404/],
    ['/not-json', false, /did not answer JSON/],
  ])('classifies the failure of %s (retryable: %s)', async (path, retryable, reason) => {
    const error = await failure(reader.read(source(path), live()));
    expect(error).toMatchObject({ name: 'ProviderError', retryable, message: expect.stringMatching(reason) });
  });

  it('fails retryably when nothing listens', async () => {
    const error = await failure(
      reader.read({ id: 'api1', type: DataSourceType.API, url: 'http://127.0.0.1:1/x' }, live()),
    );
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe(`${DatabaseSourceReader.name} on PostgreSQL`, () => {
  const settings = testDatabaseSettings();
  const table = `live_source_${process.pid}_${Date.now()}`;
  const url = `postgres://${settings.DATABASE_USER}:${settings.DATABASE_PASSWORD}@${settings.DATABASE_HOST}:${settings.DATABASE_PORT}/${settings.DATABASE_NAME}`;
  const limits = { statementTimeoutMs: 500, maxRecords: 100_000, batchSize: 1000 };
  const reader = new DatabaseSourceReader(parseConnections(JSON.stringify({ warehouse: url })), limits);
  const client = new Client({ connectionString: url });
  const source = (query: string, extra: Partial<LiveSourceSpec> = {}): LiveSourceSpec => ({
    id: 'db1',
    type: DataSourceType.DATABASE,
    connection: 'warehouse',
    query,
    ...extra,
  });

  beforeAll(async () => {
    await client.connect();
    await client.query(`CREATE TABLE ${table} (id int PRIMARY KEY, body text, tags jsonb)`);
    await client.query(
      `INSERT INTO ${table} SELECT g, 'row ' || g, jsonb_build_object('even', g % 2 = 0) FROM generate_series(1, 2500) g`,
    );
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.end();
  });

  it('reads every row through a cursor, in batches', async () => {
    const { records, sizes } = await collect(
      reader.read(source(`SELECT id, body FROM ${table} ORDER BY id`, { idField: 'id', textField: 'body' }), live()),
    );
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(records[0]).toEqual({ id: '1', content: 'row 1', fields: { id: 1, body: 'row 1' } });
    expect(records[2499].id).toBe('2500');
  });

  it('gives the LLM the whole row when no textField is named', async () => {
    const { records } = await collect(
      reader.read(source(`SELECT * FROM ${table} WHERE id = 2`, { idField: 'id' }), live()),
    );
    expect(records).toEqual([
      {
        id: '2',
        content: '{"body":"row 2","id":2,"tags":{"even":true}}',
        fields: { id: 2, body: 'row 2', tags: { even: true } },
      },
    ]);
  });

  it('runs the query in a read-only transaction', async () => {
    const error = await failure(
      reader.read(source(`WITH gone AS (DELETE FROM ${table} RETURNING id) SELECT * FROM gone`), live()),
    );
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/read-only transaction/) });
    const { rows } = await client.query(`SELECT count(*)::int AS count FROM ${table}`);
    expect(rows[0].count).toBe(2500);
  });

  it('stops a statement at the statement timeout', async () => {
    const error = await failure(reader.read(source('SELECT pg_sleep(5)'), live()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/statement timeout/) });
  });

  it.each([
    ['a write', `DELETE FROM ${'t'}`, /must be a SELECT/],
    ['two statements', 'SELECT 1; DROP TABLE x', /single statement/],
  ])('refuses %s before connecting', async (_case, query, reason) => {
    const error = await failure(reader.read(source(query), live()));
    expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(reason) });
  });

  it('refuses an unknown connection name', async () => {
    const error = await failure(reader.read(source('SELECT 1', { connection: 'elsewhere' }), live()));
    expect(error).toMatchObject({ message: expect.stringMatching(/no connection named "elsewhere"/) });
  });

  it('stops reading when the signal aborts', async () => {
    // A query of 2.5 s (1 ms a row) and no statement timeout in the way: only the abort can end it early.
    const patient = new DatabaseSourceReader(parseConnections(JSON.stringify({ warehouse: url })), {
      ...limits,
      statementTimeoutMs: 60_000,
    });
    const controller = new AbortController();
    const batches = patient.read(source(`SELECT id, pg_sleep(0.001) FROM ${table} ORDER BY id`), controller.signal);
    setTimeout(() => controller.abort(new Error('stopped by the test')), 50);
    await expect(collect(batches)).rejects.toThrow('stopped by the test');
  });
});

describe(`${DatabaseSourceReader.name} on MariaDB/MySQL`, () => {
  const server = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
  const database = `dataproc_src_${process.pid}_${Date.now()}`;
  const limits = { statementTimeoutMs: 500, maxRecords: 100_000, batchSize: 1000 };
  const reader = new DatabaseSourceReader(parseConnections(JSON.stringify({ shop: `${server}/${database}` })), limits);
  const source = (query: string, extra: Partial<LiveSourceSpec> = {}): LiveSourceSpec => ({
    id: 'db2',
    type: DataSourceType.DATABASE,
    connection: 'shop',
    query,
    ...extra,
  });
  let admin: Awaited<ReturnType<typeof createConnection>>;

  beforeAll(async () => {
    admin = await createConnection({ uri: server, multipleStatements: true });
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.query(`CREATE TABLE ${database}.reviews (id int PRIMARY KEY, body text, created date)`);
    const rows = Array.from({ length: 2500 }, (_, i) => [i + 1, `review ${i + 1}`, '2025-01-02']);
    await admin.query(`INSERT INTO ${database}.reviews (id, body, created) VALUES ?`, [rows]);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${database}`);
    await admin.end();
  });

  it('streams every row in batches', async () => {
    const { records, sizes } = await collect(
      reader.read(source('SELECT id, body FROM reviews ORDER BY id', { idField: 'id', textField: 'body' }), live()),
    );
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(records[2499]).toEqual({ id: '2500', content: 'review 2500', fields: { id: 2500, body: 'review 2500' } });
  });

  it('gives the LLM the whole row when no textField is named', async () => {
    const { records } = await collect(
      reader.read(source('SELECT * FROM reviews WHERE id = 7', { idField: 'id' }), live()),
    );
    expect(records).toEqual([
      {
        id: '7',
        content: '{"body":"review 7","created":"2025-01-02","id":7}',
        fields: { id: 7, body: 'review 7', created: '2025-01-02' },
      },
    ]);
  });

  it('runs the query in a read-only transaction', async () => {
    const error = await failure(reader.read(source('SELECT * FROM reviews FOR UPDATE'), live()));
    expect(error).toBeDefined();
    const [rows] = await admin.query(`SELECT count(*) AS count FROM ${database}.reviews`);
    expect((rows as { count: number }[])[0].count).toBe(2500);
  });

  it('stops a statement at the statement timeout', async () => {
    const error = await failure(reader.read(source('SELECT SLEEP(5) AS slept FROM reviews LIMIT 1'), live()));
    expect(error).toMatchObject({
      retryable: false,
      message: expect.stringMatching(/max_statement_time|execution time/i),
    });
  });
});
