import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { BatchesController } from './batches.controller';
import type { BatchOptions } from './batches.service';
import { BATCH_OPTIONS, BatchesService } from './batches.service';

@Module({})
export class BatchesModule {
  /** `tasks` is the app's TasksModule.forRoot(…), whose admission, queries and limits the batches share. */
  static forRoot(options: BatchOptions, tasks: DynamicModule): DynamicModule {
    return {
      module: BatchesModule,
      imports: [tasks],
      controllers: [BatchesController],
      providers: [{ provide: BATCH_OPTIONS, useValue: options }, BatchesService],
    };
  }
}
