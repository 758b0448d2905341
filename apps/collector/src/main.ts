import 'reflect-metadata';
import { loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker, exitOnStartupError } from '@app/messaging';
import { ObservabilityModule } from '@app/observability';
import { CollectionModule } from './collection/collection.module';
import { CollectorConfig } from './collector.config';

async function bootstrap(): Promise<void> {
  const config = loadConfig(CollectorConfig);
  await bootstrapWorker('Collector', TaskStage.COLLECT, config, [
    CollectionModule.forRoot(config),
    ObservabilityModule.forWorker('collector', TaskStage.COLLECT),
  ]);
}

bootstrap().catch(exitOnStartupError);
