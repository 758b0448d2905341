// `node dist/libs/persistence/src/migrate.js`: runs the pending migrations once and exits. The
// migration step of the container deployments (compose's `migrate` service, the Kubernetes Job);
// it takes the same advisory lock as the apps' own start-up migration, so the two never race.
import 'reflect-metadata';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './database-options';
import { runMigrations } from './migration-runner';

async function migrate(): Promise<void> {
  const { database } = appOptions(loadConfig(BaseConfig));
  const dataSource = await new DataSource(dataSourceOptions({ ...database, poolSize: 2 })).initialize();
  try {
    await runMigrations(dataSource);
    console.log(`migrations: ${database.database} at ${database.host} is up to date`);
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  console.error(`migrations failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
