import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { DatabaseOptions } from '@app/config';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { dataSourceOptions } from '@app/persistence';

type DatabaseSettings = Pick<
  BaseConfig,
  'DATABASE_HOST' | 'DATABASE_PORT' | 'DATABASE_USER' | 'DATABASE_PASSWORD' | 'DATABASE_NAME'
>;

/**
 * The app's own settings (env with defaults), but always on the test database: DATABASE_NAME from the
 * environment (scripts/test.sh exports it), else `dataproc_test` — never the app default `dataproc`.
 */
export function testDatabaseSettings(): BaseConfig {
  return { ...loadConfig(BaseConfig), DATABASE_NAME: process.env.DATABASE_NAME || 'dataproc_test' };
}

/** Creates the test database when it is missing, through the maintenance database `postgres`. */
export async function ensureTestDatabase(settings: DatabaseSettings = testDatabaseSettings()): Promise<void> {
  const client = new Client({
    host: settings.DATABASE_HOST,
    port: settings.DATABASE_PORT,
    user: settings.DATABASE_USER,
    password: settings.DATABASE_PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.DATABASE_NAME]);
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(settings.DATABASE_NAME)}`)
        .catch((error: { code?: string }) => {
          // 42P04 duplicate_database: another process created it meanwhile.
          if (error.code !== '42P04') throw error;
        });
    }
  } finally {
    await client.end();
  }
}

/** An initialised DataSource on the test database (migrations have run in the global setup). */
export async function openTestDataSource(overrides: Partial<DatabaseOptions> = {}): Promise<DataSource> {
  const dataSource = new DataSource(
    dataSourceOptions({ ...appOptions(testDatabaseSettings()).database, ...overrides }),
  );
  return dataSource.initialize();
}

/** Deletes tasks a spec created; their sources, records, chunks and results go with them (ON DELETE CASCADE). */
export async function deleteTasks(dataSource: DataSource, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await dataSource.query('DELETE FROM tasks WHERE id = ANY($1::uuid[])', [ids]);
}
