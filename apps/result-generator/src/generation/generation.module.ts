import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { LlmClient, LlmModule } from '@app/llm';
import { stageProcessor } from '@app/messaging';
import { simulatedLlmProvider } from '@app/simulators';
import { ResultGeneratorConfig } from '../result-generator.config';
import { DimensionReporter } from './dimension-reporter';
import { DIMENSION_CONCURRENCY, GenerateResultUseCase } from './generate-result.usecase';

@Module({})
export class GenerationModule {
  static forRoot(config: ResultGeneratorConfig): DynamicModule {
    return {
      module: GenerationModule,
      imports: [LlmModule.forRoot(config, simulatedLlmProvider(config))],
      providers: [
        { provide: DIMENSION_CONCURRENCY, useValue: config.GENERATE_DIMENSION_CONCURRENCY },
        {
          provide: DimensionReporter,
          inject: [LlmClient],
          useFactory: (llm: LlmClient) => new DimensionReporter(llm, config.RESULT_MAX_PASSED_RECORDS),
        },
        GenerateResultUseCase,
        stageProcessor(TaskStage.GENERATE, config.WORKER_CONCURRENCY, GenerateResultUseCase),
      ],
    };
  }
}
