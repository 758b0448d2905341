import 'reflect-metadata';
import { exitOnStartupError, loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker } from '@app/pipeline';
import { ObservabilityModule } from '@app/observability';
import { EvaluationModule } from './evaluation/evaluation.module';
import { EvaluatorConfig, evaluatorOptions } from './evaluator.config';

async function bootstrap(): Promise<void> {
  const options = evaluatorOptions(loadConfig(EvaluatorConfig));
  await bootstrapWorker('Evaluator', 'evaluator', TaskStage.EVALUATE, options, [
    EvaluationModule.forRoot(options),
    ObservabilityModule.forWorker('evaluator', TaskStage.EVALUATE),
  ]);
}

bootstrap().catch(exitOnStartupError);
