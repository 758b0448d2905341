import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker, exitOnStartupError } from '@app/messaging';
import { ObservabilityModule } from '@app/observability';
import { GenerationModule } from './generation/generation.module';
import { ResultGeneratorConfig } from './result-generator.config';

async function bootstrap(): Promise<void> {
  const config = loadConfig(ResultGeneratorConfig);
  await bootstrapWorker('ResultGenerator', TaskStage.GENERATE, config, [
    GenerationModule.forRoot(config),
    ObservabilityModule.forWorker('result-generator', TaskStage.GENERATE),
  ]);
}

bootstrap().catch(exitOnStartupError);
