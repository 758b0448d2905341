import type { DataSourceOptions } from 'typeorm';
import type { DatabaseOptions } from '@app/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

/** The one description of the database, shared by the apps, the TypeORM CLI and the tests. */
export function dataSourceOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    host: options.host,
    port: options.port,
    username: options.username,
    password: options.password,
    database: options.database,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    extra: { max: options.poolSize },
  };
}
