import 'reflect-metadata';
import { exitOnStartupError, loadConfig } from '@app/config';
import { TaskStage } from '@app/contracts';
import { bootstrapWorker } from '@app/pipeline';
import { ObservabilityModule } from '@app/observability';
import { CollectionModule } from './collection/collection.module';
import { CollectorConfig, collectorOptions } from './collector.config';

async function bootstrap(): Promise<void> {
  const options = collectorOptions(loadConfig(CollectorConfig));
  await bootstrapWorker('Collector', 'collector', TaskStage.COLLECT, options, [
    CollectionModule.forRoot(options),
    ObservabilityModule.forWorker('collector', TaskStage.COLLECT),
  ]);
}

bootstrap().catch(exitOnStartupError);
