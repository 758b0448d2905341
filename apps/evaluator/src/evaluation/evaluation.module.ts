import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { LlmClient, LlmModule } from '@app/llm';
import { stageProcessor } from '@app/pipeline';
import { llmProviderFor } from '@app/simulators';
import type { EvaluatorOptions } from '../evaluator.config';
import { EvaluateChunkUseCase, RECORD_CONCURRENCY } from './evaluate-chunk.usecase';
import { RecordScorer } from './record-scorer';

@Module({})
export class EvaluationModule {
  static forRoot(options: EvaluatorOptions): DynamicModule {
    return {
      module: EvaluationModule,
      imports: [LlmModule.forRoot(options.llm.client, llmProviderFor(options.llm.provider))],
      providers: [
        { provide: RECORD_CONCURRENCY, useValue: options.recordConcurrency },
        { provide: RecordScorer, inject: [LlmClient], useFactory: (llm: LlmClient) => new RecordScorer(llm) },
        EvaluateChunkUseCase,
        stageProcessor(
          TaskStage.EVALUATE,
          { concurrency: options.concurrency, timeoutMs: options.jobTimeoutMs },
          EvaluateChunkUseCase,
        ),
      ],
    };
  }
}
