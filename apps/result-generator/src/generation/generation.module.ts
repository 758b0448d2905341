import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { LlmClient, LlmModule } from '@app/llm';
import { stageProcessor } from '@app/pipeline';
import { llmProviderFor } from '@app/simulators';
import type { ResultGeneratorOptions } from '../result-generator.config';
import { DimensionReporter } from './dimension-reporter';
import { DIMENSION_CONCURRENCY, GenerateResultUseCase } from './generate-result.usecase';

@Module({})
export class GenerationModule {
  static forRoot(options: ResultGeneratorOptions): DynamicModule {
    return {
      module: GenerationModule,
      imports: [LlmModule.forRoot(options.llm.client, llmProviderFor(options.llm.provider))],
      providers: [
        { provide: DIMENSION_CONCURRENCY, useValue: options.dimensionConcurrency },
        {
          provide: DimensionReporter,
          inject: [LlmClient],
          useFactory: (llm: LlmClient) => new DimensionReporter(llm, options.maxPassedRecords),
        },
        GenerateResultUseCase,
        stageProcessor(
          TaskStage.GENERATE,
          { concurrency: options.concurrency, timeoutMs: options.jobTimeoutMs },
          GenerateResultUseCase,
        ),
      ],
    };
  }
}
