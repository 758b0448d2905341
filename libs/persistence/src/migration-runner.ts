import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';

/** Any fixed number works; it only has to be the same in every app. */
const MIGRATION_LOCK_KEY = 7_240_611;

/**
 * Runs pending migrations under a Postgres advisory lock, so that replicas starting at the same time
 * do not race each other through the same DDL. The lock is held on a connection of its own, outside
 * the pool: held on a pooled one, a pool of one connection would leave none for the migrations (a
 * deadlock at start), and it waits without the pool's statement timeout while another replica migrates.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const { host, port, username, password, database } = dataSource.options as PostgresConnectionOptions;
  const lock = new Client({ host, port, user: username, password: password as string | undefined, database });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    // Ending the session releases the lock.
    await lock.end().catch(() => undefined);
  }
}
