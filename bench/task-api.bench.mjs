#!/usr/bin/env node
// Latency of the task list and statistics with a million tasks in the table, and the time to submit a
// batch of 1,000. Run by hand, never by `npm test`: `npm run build && node bench/task-api.bench.mjs`
// (BENCH_TASKS, BENCH_REQUESTS, BENCH_BATCHES and BENCH_DATABASE_NAME to change the defaults). It fills
// its own database (the tasks belong to ten API keys), starts one gateway from the build against it
// with those keys and an admin key, and times sequential requests over HTTP. The batches' jobs are
// left queued under the Redis prefix bench-<pid>, which nothing works: delete its keys afterwards.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const { Client } = pg;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 300);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 5);
const DATABASE = process.env.BENCH_DATABASE_NAME ?? 'dataproc_bench';
const OWNERS = 10;
const KEYS = Array.from({ length: OWNERS }, (_, n) => `k${n}:bench-key-${n}`);
const ADMIN = 'root:bench-admin-key';
const as = (key) => ({ authorization: `Bearer ${key}` });
const OWNER_KEY = as('bench-key-3');
const ADMIN_KEY = as('bench-admin-key');
const connection = {
  host: process.env.DATABASE_HOST ?? '127.0.0.1',
  port: Number(process.env.DATABASE_PORT ?? 5432),
  user: process.env.DATABASE_USER ?? 'postgres',
  password: process.env.DATABASE_PASSWORD ?? 'postgres',
};

async function main() {
  const admin = new Client({ ...connection, database: 'postgres' });
  await admin.connect();
  const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
  if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(DATABASE)}`);
  await admin.end();

  const port = await freePort();
  const gateway = startGateway(port);
  try {
    await waitForOutput(gateway, /listening on http/, 60_000); // migrations have run
    const db = new Client({ ...connection, database: DATABASE });
    await db.connect();
    await fill(db);
    const base = `http://127.0.0.1:${port}/api/v1`;

    const firstPage = await get(`${base}/tasks?limit=50`, ADMIN_KEY);
    const deepCursor = await walk(base, '/tasks?limit=200', 50, ADMIN_KEY); // 10,000 rows down
    const cases = [
      ['GET /tasks?limit=50', '/tasks?limit=50', ADMIN_KEY],
      ['GET /tasks?limit=50 (page 201, after 10,000 rows)', `/tasks?limit=50&cursor=${deepCursor}`, ADMIN_KEY],
      ['GET /tasks?limit=50&status=running', '/tasks?limit=50&status=running', ADMIN_KEY],
      ['GET /tasks?limit=50&status=failed,cancelled', '/tasks?limit=50&status=failed,cancelled', ADMIN_KEY],
      ['GET /tasks?limit=50&label=team:t7', '/tasks?limit=50&label=team:t7', ADMIN_KEY],
      ['GET /tasks/active?limit=50', '/tasks/active?limit=50', ADMIN_KEY],
      ['GET /tasks/stats', '/tasks/stats', ADMIN_KEY],
      ['GET /tasks/stats?window=24h', '/tasks/stats?window=24h', ADMIN_KEY],
      ['one key: GET /tasks?limit=50', '/tasks?limit=50', OWNER_KEY],
      ['one key: GET /tasks?limit=50&status=failed', '/tasks?limit=50&status=failed', OWNER_KEY],
      ['one key: GET /tasks/stats', '/tasks/stats', OWNER_KEY],
    ];
    console.log(
      `${TASKS.toLocaleString('en')} tasks of ${OWNERS} keys; ${REQUESTS} sequential requests per case, ` +
        'after 20 warm-up ones (admin key unless "one key")',
    );
    console.log(`first page holds ${firstPage.items.length} tasks`);
    for (const [name, path, headers] of cases) {
      const times = await time(`${base}${path}`, headers);
      console.log(`${name.padEnd(52)} p50 ${fmt(percentile(times, 0.5))} ms  p99 ${fmt(percentile(times, 0.99))} ms`);
    }
    const batches = await submitBatches(base);
    console.log(
      `POST /batches of 1,000 tasks (${BATCHES} in a row)`.padEnd(52) +
        ` p50 ${fmt(percentile(batches, 0.5))} ms  max ${fmt(batches[batches.length - 1])} ms`,
    );
    await db.end();
  } finally {
    gateway.kill('SIGTERM');
    await once(gateway, 'close');
  }
}

/** Submits BATCHES batches of 1,000 small tasks (stored and queued, never run); their times, sorted. */
async function submitBatches(base) {
  const task = {
    data_sources: [{ id: 's', type: 'api', url: 'x', simulation: { records: 5 } }],
    llm_config: { model: 'm' },
    dimensions: [{ id: 'd', name: 'quality', threshold: 0.5 }],
    labels: { bench: 'batch' },
  };
  const body = JSON.stringify({ tasks: Array.from({ length: 1000 }, () => task) });
  const times = [];
  for (let n = 0; n < BATCHES; n += 1) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${base}/batches`, {
      method: 'POST',
      headers: { ...ADMIN_KEY, 'content-type': 'application/json' },
      body,
    });
    if (response.status !== 202) throw new Error(`POST /batches answered ${response.status}: ${await response.text()}`);
    await response.json();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

/**
 * TASKS rows as a busy service would hold them: over 30 days, 90% completed, then failed, cancelled,
 * completed with errors, and a few hundred pending and running; 50 label values; stage timestamps.
 */
async function fill(db) {
  const [{ count }] = (await db.query('SELECT count(*)::int AS count FROM tasks')).rows;
  if (count >= TASKS) return;
  console.log(`inserting ${(TASKS - count).toLocaleString('en')} tasks…`);
  const started = Date.now();
  const batch = 100_000;
  for (let from = count; from < TASKS; from += batch) {
    await db.query(
      `INSERT INTO tasks (id, status, stage, spec, sources_total, sources_collected, records_total, records_evaluated,
                          dimensions_total, dimensions_done, labels, owner, created_at, updated_at, started_at,
                          collected_at, evaluated_at, finished_at)
       SELECT gen_random_uuid(), s.status, 'generate', '{"data_sources":[],"dimensions":[],"llm_config":{"model":"m"}}',
              2, 2, 50, 50, 2, 2, jsonb_build_object('team', 't' || (n % 50)), 'k' || (n % ${OWNERS}),
              c.at, c.at, c.at + interval '50 ms',
              c.at + interval '400 ms', c.at + interval '1500 ms',
              CASE WHEN s.status IN ('pending', 'running') THEN NULL ELSE c.at + interval '2 s' + (n % 7) * interval '100 ms' END
       FROM generate_series($1::int, $2::int - 1) AS n
       CROSS JOIN LATERAL (SELECT now() - (($3::int - n)::float8 / $3 * 30) * interval '1 day' AS at) c
       CROSS JOIN LATERAL (SELECT CASE
           WHEN n % 1000 = 0 THEN 'running' WHEN n % 1000 = 1 THEN 'pending'
           WHEN n % 100 < 5 THEN 'failed' WHEN n % 100 < 8 THEN 'cancelled'
           WHEN n % 100 < 10 THEN 'completed_with_errors' ELSE 'completed' END AS status) s`,
      [from, Math.min(from + batch, TASKS), TASKS],
    );
    process.stdout.write('.');
  }
  await db.query('VACUUM ANALYZE tasks');
  console.log(` done in ${Math.round((Date.now() - started) / 1000)} s`);
}

async function walk(base, path, pages, headers) {
  let cursor = null;
  for (let page = 0; page < pages; page += 1) {
    const body = await get(`${base}${path}${cursor ? `&cursor=${cursor}` : ''}`, headers);
    cursor = body.next_cursor;
  }
  return cursor;
}

async function time(url, headers) {
  for (let i = 0; i < 20; i += 1) await get(url, headers);
  const times = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const started = process.hrtime.bigint();
    await get(url, headers);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return times.sort((a, b) => a - b);
}

async function get(url, headers) {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1)];
}

const fmt = (ms) => ms.toFixed(1).padStart(7);

function startGateway(port) {
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_NAME: DATABASE,
      PORT: String(port),
      QUEUE_PREFIX: `bench-${process.pid}`,
      LOG_LEVEL: 'log',
      API_KEYS: [...KEYS, ADMIN].join(','),
      ADMIN_API_KEYS: 'root',
      // Sequential requests of one client: neither the rate limit nor the admission caps are measured here.
      RATE_LIMIT_MAX: '1000000',
      MAX_ACTIVE_TASKS_PER_KEY: '0',
      MAX_ACTIVE_TASKS: '10000000',
      BODY_LIMIT_BYTES: String(16 * 1024 * 1024),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (child.output += chunk));
  return child;
}

async function waitForOutput(child, pattern, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(child.output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`gateway did not start:\n${child.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  return port;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
