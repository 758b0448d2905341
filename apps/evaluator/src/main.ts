import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker, exitOnStartupError } from '@app/messaging';
import { ObservabilityModule } from '@app/observability';
import { EvaluationModule } from './evaluation/evaluation.module';
import { EvaluatorConfig } from './evaluator.config';

async function bootstrap(): Promise<void> {
  const config = loadConfig(EvaluatorConfig);
  await bootstrapWorker('Evaluator', TaskStage.EVALUATE, config, [
    EvaluationModule.forRoot(config),
    ObservabilityModule.forWorker('evaluator', TaskStage.EVALUATE),
  ]);
}

bootstrap().catch(exitOnStartupError);
