import { registerAppAliases } from './app-aliases';

/**
 * Jest globalSetup of the integration and e2e tiers: makes sure the test database exists and its
 * schema is current, once per run, before any spec (or app started by an e2e spec) opens it.
 *
 * Everything that touches the libs is imported lazily, after the `@app/*` mapping is registered:
 * jest's moduleNameMapper does not apply to this file (see app-aliases.ts).
 */
export default async function globalSetup(): Promise<void> {
  const unregister = registerAppAliases();
  try {
    const { DataSource } = await import('typeorm');
    const { appOptions } = await import('@app/config');
    const { dataSourceOptions, runMigrations } = await import('@app/persistence');
    const { ensureTestDatabase, testDatabaseSettings } = await import('./database');

    const settings = testDatabaseSettings();
    try {
      await ensureTestDatabase(settings);
    } catch (error) {
      throw new Error(
        `global setup: cannot reach Postgres at ${settings.DATABASE_HOST}:${settings.DATABASE_PORT} ` +
          `to create database "${settings.DATABASE_NAME}" (is it running? see scripts/ensure-services.sh): ${String(error)}`,
      );
    }

    const dataSource = await new DataSource(dataSourceOptions(appOptions(settings).database)).initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } finally {
    unregister();
  }
}
