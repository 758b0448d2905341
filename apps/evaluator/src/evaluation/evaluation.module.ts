import { DynamicModule, Module } from '@nestjs/common';
import { LlmClient, LlmModule } from '@app/llm';
import { EvaluatorConfig } from '../evaluator.config';
import { EVALUATE_CONCURRENCY, EvaluateProcessor } from './evaluate.processor';
import { EvaluateChunkUseCase, RECORD_CONCURRENCY } from './evaluate-chunk.usecase';
import { RecordScorer } from './record-scorer';

@Module({})
export class EvaluationModule {
  static forRoot(config: EvaluatorConfig): DynamicModule {
    return {
      module: EvaluationModule,
      imports: [LlmModule.forRoot(config)],
      providers: [
        { provide: EVALUATE_CONCURRENCY, useValue: config.WORKER_CONCURRENCY },
        { provide: RECORD_CONCURRENCY, useValue: config.EVALUATE_RECORD_CONCURRENCY },
        { provide: RecordScorer, inject: [LlmClient], useFactory: (llm: LlmClient) => new RecordScorer(llm) },
        EvaluateChunkUseCase,
        EvaluateProcessor,
      ],
    };
  }
}
