import { DynamicModule, Injectable, Module, OnModuleInit } from '@nestjs/common';
import { InjectDataSource, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { DatabaseOptions } from '@app/config';
import { dataSourceOptions } from './database-options';
import { runMigrations } from './migration-runner';
import { BatchStore } from './repositories/batch.store';
import { CollectionStore } from './repositories/collection.store';
import { EvaluationStore } from './repositories/evaluation.store';
import { ExportStore } from './repositories/export.store';
import { GenerationStore } from './repositories/generation.store';
import { OutboxStore } from './repositories/outbox.store';
import { TaskQueryStore } from './repositories/task-query.store';
import { TaskRepository } from './repositories/task.repository';

const STORES = [
  TaskRepository,
  TaskQueryStore,
  BatchStore,
  CollectionStore,
  EvaluationStore,
  GenerationStore,
  ExportStore,
  OutboxStore,
];

@Injectable()
class MigrateOnStart implements OnModuleInit {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onModuleInit(): Promise<void> {
    return runMigrations(this.dataSource);
  }
}

@Module({})
export class PersistenceModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: PersistenceModule,
      global: true,
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(options), retryAttempts: 5, retryDelay: 2000 })],
      providers: [MigrateOnStart, ...STORES],
      exports: STORES,
    };
  }
}
