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

/** Runs `work` on a session of its own on `database` (of the settings' server), closed afterwards. */
async function withSession<T>(
  settings: DatabaseSettings,
  database: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    host: settings.DATABASE_HOST,
    port: settings.DATABASE_PORT,
    user: settings.DATABASE_USER,
    password: settings.DATABASE_PASSWORD,
    database,
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Creates the test database when it is missing, through the maintenance database `postgres`. */
export async function ensureTestDatabase(settings: DatabaseSettings = testDatabaseSettings()): Promise<void> {
  await withSession(settings, 'postgres', async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.DATABASE_NAME]);
    if (found.rowCount === 0) {
      await client
        .query(`CREATE DATABASE ${client.escapeIdentifier(settings.DATABASE_NAME)}`)
        .catch((error: { code?: string }) => {
          // 42P04 duplicate_database: another process created it meanwhile.
          if (error.code !== '42P04') throw error;
        });
    }
  });
}

/**
 * Ends what an earlier test system left in flight on the shared test database: its active tasks
 * (the recovery sweep re-queues any task idle for two minutes, so the next system would run them and
 * bill their LLM calls to its own provider) and its pending deliveries (which would post to whatever
 * listener holds their port now). The e2e specs run one system at a time, so at a system's start
 * nothing active is its own.
 */
export async function retireLeftovers(settings: DatabaseSettings = testDatabaseSettings()): Promise<void> {
  await withSession(settings, settings.DATABASE_NAME, (client) =>
    client.query(
      `WITH ended AS (
         UPDATE tasks SET status = 'cancelled', error = 'left in flight by an earlier test system',
           finished_at = now(), updated_at = now()
         WHERE status IN ('pending', 'running'))
       UPDATE deliveries SET status = 'failed', last_error = 'left by an earlier test system', updated_at = now()
       WHERE status IN ('pending', 'delivering')`,
    ),
  );
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
