export * from './database-options';
export * from './entities';
export { runMigrations } from './migration-runner';
export * from './persistence.module';
export * from './repositories/collection.store';
export * from './repositories/evaluation.store';
export * from './repositories/generation.store';
export type { TaskState } from './repositories/sql';
export * from './repositories/task.repository';
