import type { DataSource } from 'typeorm';

/** Any fixed number works; it only has to be the same in every app. */
const MIGRATION_LOCK_KEY = 7_240_611;

/**
 * Runs pending migrations under a Postgres advisory lock, so that replicas starting at the same time
 * do not race each other through the same DDL.
 */
export async function runMigrations(dataSource: DataSource): Promise<void> {
  const lockRunner = dataSource.createQueryRunner();
  await lockRunner.connect();
  try {
    await lockRunner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await lockRunner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockRunner.release();
  }
}
