import 'reflect-metadata';
import { exitOnStartupError, loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker } from '@app/pipeline';
import { ObservabilityModule } from '@app/observability';
import { GenerationModule } from './generation/generation.module';
import { OutputsModule } from './outputs/outputs.module';
import { ResultGeneratorConfig, resultGeneratorOptions } from './result-generator.config';

async function bootstrap(): Promise<void> {
  const options = resultGeneratorOptions(loadConfig(ResultGeneratorConfig));
  await bootstrapWorker('ResultGenerator', 'result-generator', TaskStage.GENERATE, options, [
    GenerationModule.forRoot(options),
    OutputsModule.forRoot(options),
    ObservabilityModule.forWorker('result-generator', TaskStage.GENERATE),
  ]);
}

bootstrap().catch(exitOnStartupError);
