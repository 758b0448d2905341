import { DynamicModule, Module } from '@nestjs/common';
import { TaskStage } from '@app/contracts';
import { DatabaseSettings, PersistenceModule } from '@app/persistence';
import { CancellationModule } from './cancellation';
import { EventsModule } from './events.module';
import { QueuesModule, WorkerQueueSettings } from './queues.module';
import { RedisModule } from '@app/redis';
import { RECOVERY_SETTINGS, RecoverySettings, StageRecovery } from './stage-recovery';
import { StageWorkers } from './stage-worker';

export type WorkerSettings = DatabaseSettings & WorkerQueueSettings & Omit<RecoverySettings, 'stage'>;

/**
 * What every stage worker app is made of: Postgres, Redis, the queues, broadcasts, cancellation,
 * the stage-worker binding and the recovery sweep of its own stage. The app adds its feature module.
 */
@Module({})
export class WorkerModule {
  static forStage(stage: TaskStage, settings: WorkerSettings): DynamicModule {
    return {
      module: WorkerModule,
      global: true,
      imports: [
        PersistenceModule.forRoot(settings),
        RedisModule.forRoot(settings),
        QueuesModule.forRoot(settings),
        EventsModule.forRoot(settings),
        CancellationModule,
      ],
      providers: [{ provide: RECOVERY_SETTINGS, useValue: { ...settings, stage } }, StageRecovery, StageWorkers],
      exports: [StageWorkers, CancellationModule],
    };
  }
}
