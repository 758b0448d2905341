// `node dist/libs/persistence/src/migrate.js`: runs the pending migrations once and exits. The
// migration step of the container deployments (compose's `migrate` service, the Kubernetes Job);
// it takes the same advisory lock as the apps' own start-up migration, so the two never race.
import 'reflect-metadata';
import { BaseConfig, loadConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { databaseOptions } from './database-options';
import { runMigrations } from './migration-runner';

async function migrate(): Promise<void> {
  const config = loadConfig(BaseConfig);
  const dataSource = await new DataSource({ ...databaseOptions(config), extra: { max: 2 } }).initialize();
  try {
    await runMigrations(dataSource);
    console.log(`migrations: ${config.DATABASE_NAME} at ${config.DATABASE_HOST} is up to date`);
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  console.error(`migrations failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
