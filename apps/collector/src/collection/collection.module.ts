import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { stageProcessor } from '@app/pipeline';
import { DataSourceSimulator } from '@app/simulators';
import type { CollectorOptions } from '../collector.config';
import { COLLECT_OPTIONS, CollectTaskUseCase, DATA_SOURCE_READER } from './collect-task.usecase';

@Module({})
export class CollectionModule {
  static forRoot(options: CollectorOptions): DynamicModule {
    return {
      module: CollectionModule,
      providers: [
        { provide: COLLECT_OPTIONS, useValue: options.collect },
        { provide: DATA_SOURCE_READER, useValue: new DataSourceSimulator(options.sources) },
        CollectTaskUseCase,
        stageProcessor(
          TaskStage.COLLECT,
          { concurrency: options.concurrency, timeoutMs: options.jobTimeoutMs },
          CollectTaskUseCase,
        ),
      ],
    };
  }
}
