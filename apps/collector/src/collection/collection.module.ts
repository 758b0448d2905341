import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { stageProcessor } from '@app/messaging';
import { DataSourceSimulator } from '@app/simulators';
import { CollectorConfig } from '../collector.config';
import { COLLECT_OPTIONS, CollectOptions, CollectTaskUseCase, DATA_SOURCE_READER } from './collect-task.usecase';

@Module({})
export class CollectionModule {
  static forRoot(config: CollectorConfig): DynamicModule {
    const options: CollectOptions = {
      sourceConcurrency: config.COLLECT_SOURCE_CONCURRENCY,
      sourceTimeoutMs: config.COLLECT_SOURCE_TIMEOUT_MS,
      maxAttempts: config.COLLECT_MAX_ATTEMPTS,
      baseDelayMs: config.COLLECT_BACKOFF_BASE_MS,
      maxDelayMs: config.COLLECT_BACKOFF_MAX_MS,
      chunkSize: config.EVALUATE_CHUNK_SIZE,
    };
    const reader = new DataSourceSimulator({
      seed: config.SIMULATION_SEED,
      recordsPerSource: config.SIM_SOURCE_RECORDS,
      latencyMs: { min: config.SIM_SOURCE_LATENCY_MIN_MS, max: config.SIM_SOURCE_LATENCY_MAX_MS },
      failureRate: config.SIM_SOURCE_FAILURE_RATE,
    });
    return {
      module: CollectionModule,
      providers: [
        { provide: COLLECT_OPTIONS, useValue: options },
        { provide: DATA_SOURCE_READER, useValue: reader },
        CollectTaskUseCase,
        stageProcessor(TaskStage.COLLECT, config.WORKER_CONCURRENCY, CollectTaskUseCase),
      ],
    };
  }
}
