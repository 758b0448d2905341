import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { LlmClient, LlmModule } from '@app/llm';
import { stageProcessor } from '@app/messaging';
import { simulatedLlmProvider } from '@app/simulators';
import { EvaluatorConfig } from '../evaluator.config';
import { EvaluateChunkUseCase, RECORD_CONCURRENCY } from './evaluate-chunk.usecase';
import { RecordScorer } from './record-scorer';

@Module({})
export class EvaluationModule {
  static forRoot(config: EvaluatorConfig): DynamicModule {
    return {
      module: EvaluationModule,
      imports: [LlmModule.forRoot(config, simulatedLlmProvider(config))],
      providers: [
        { provide: RECORD_CONCURRENCY, useValue: config.EVALUATE_RECORD_CONCURRENCY },
        { provide: RecordScorer, inject: [LlmClient], useFactory: (llm: LlmClient) => new RecordScorer(llm) },
        EvaluateChunkUseCase,
        stageProcessor(TaskStage.EVALUATE, config.WORKER_CONCURRENCY, EvaluateChunkUseCase),
      ],
    };
  }
}
