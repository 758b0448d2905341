import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Redis from 'ioredis';
import { Client, Pool } from 'pg';
import { freePort } from '../../../test/e2e/support/test-system';

/**
 * A Redis of the bench's own (a redis-server child on a free port, nothing persisted): its CPU and
 * memory are the system's alone, and flushing it between scenarios disturbs nobody.
 */
export class BenchRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly client: Redis,
  ) {}

  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: null });
    // Refused connections while the server starts are expected: connect() below rejects and is retried.
    client.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (spawnError)
        throw new Error(`cannot start redis-server (scripts/ensure-services.sh installs it): ${spawnError.message}`);
      try {
        await client.connect();
        await client.config('SET', 'maxmemory-policy', 'noeviction');
        break;
      } catch (error) {
        client.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return new BenchRedis(child, port, client);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('redis-server has no pid');
    return this.child.pid;
  }

  async usedMemoryMb(): Promise<number> {
    const info = await this.client.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0) / 1024 / 1024;
  }

  async flush(): Promise<void> {
    await this.client.flushall();
  }

  async stop(): Promise<void> {
    this.client.disconnect();
    if (this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await once(this.child, 'exit');
    }
  }
}

export interface DatabaseSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** The apps' Postgres settings (the same variables and defaults), on the bench's own database. */
export function benchDatabaseSettings(): DatabaseSettings {
  const database = process.env.BENCH_DATABASE_NAME || 'dataproc_bench';
  // The bench empties its database before every scenario: refuse one that does not say it is a bench's.
  if (!database.includes('bench'))
    throw new Error(`BENCH_DATABASE_NAME must name a bench database (contain "bench"), got "${database}"`);
  return {
    host: process.env.DATABASE_HOST || '127.0.0.1',
    port: Number(process.env.DATABASE_PORT || 5432),
    user: process.env.DATABASE_USER || 'postgres',
    password: process.env.DATABASE_PASSWORD || 'postgres',
    database,
  };
}

/** How the bench's own connections name themselves to Postgres, so that their work is not counted as the system's. */
const BENCH_APPLICATION_NAME = 'dataproc-bench';

/** The bench database: created when missing; its schema comes from the apps' migrations at their start. */
export class BenchDatabase {
  private constructor(
    readonly settings: DatabaseSettings,
    readonly pool: Pool,
  ) {}

  static async open(settings = benchDatabaseSettings()): Promise<BenchDatabase> {
    const admin = new Client({ ...settings, database: 'postgres' });
    await admin.connect();
    try {
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.database]);
      if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(settings.database)}`);
    } finally {
      await admin.end();
    }
    return new BenchDatabase(settings, new Pool({ ...settings, max: 4, application_name: BENCH_APPLICATION_NAME }));
  }

  async query<T extends object>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool.query<T>(sql, params)).rows;
  }

  /** Removes every task (their rows cascade) so each scenario starts from an empty database. */
  async reset(): Promise<void> {
    await this.pool.query('TRUNCATE tasks CASCADE').catch((error: { code?: string }) => {
      // 42P01 undefined_table: the apps have not migrated this database yet.
      if (error.code !== '42P01') throw error;
    });
  }

  /**
   * Postgres backends connected to this database now: the system's (the apps' pooled connections, a
   * reference server's) and the bench's own (its progress polls and these look-ups), told apart by the
   * bench pool's application_name.
   */
  async backendPids(): Promise<{ system: number[]; bench: number[] }> {
    const rows = await this.query<{ pid: number; bench: boolean }>(
      'SELECT pid, application_name = $2 AS bench FROM pg_stat_activity WHERE datname = $1',
      [this.settings.database, BENCH_APPLICATION_NAME],
    );
    return {
      system: rows.filter((row) => !row.bench).map((row) => row.pid),
      bench: rows.filter((row) => row.bench).map((row) => row.pid),
    };
  }

  async sizeMb(): Promise<number> {
    const [row] = await this.query<{ bytes: string }>('SELECT pg_database_size($1) AS bytes', [this.settings.database]);
    return Number(row.bytes) / 1024 / 1024;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
