import type { DataSourceOptions } from 'typeorm';
import type { DatabaseOptions } from '@app/config';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';
import { PreparingClient } from './prepared-statements';

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
    // node-postgres sets the three deadlines on every connection it opens, and fails a query that
    // waited connectionTimeoutMillis for one.
    extra: {
      max: options.poolSize,
      // No JIT compilation (ADR 31): it pays off for long analytical queries, while every statement
      // here touches one task's rows. Its threshold is the planner's cost estimate, and a generic
      // plan over task_records without statistics crossed it: 2.3 s of compiling per 1 ms statement.
      options: '-c jit=off',
      statement_timeout: options.statementTimeoutMs,
      lock_timeout: options.lockTimeoutMs,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs,
      connectionTimeoutMillis: options.acquireTimeoutMs,
      ...(options.preparedStatements ? { Client: PreparingClient } : {}),
    },
  };
}
