import { DynamicModule, Module } from '@nestjs/common';
import type { WorkerOptions } from '@app/config';
import { TaskStage } from '@app/contracts';
import { PersistenceModule } from '@app/persistence';
import { RedisModule } from '@app/redis';
import { CancellationModule } from './cancellation';
import { EventsModule } from './events.module';
import { QueuesModule } from './queues.module';
import { RECOVERY_OPTIONS, StageRecovery } from './stage-recovery';
import type { StageRecoveryOptions } from './stage-recovery';
import { StageRunner } from './stage-runner';
import { StageWorkers } from './stage-worker';
import { TaskDeadlines, TIME_LIMIT_OPTIONS } from './task-deadlines';

/**
 * What every stage worker app is made of: Postgres, Redis, the queues, broadcasts, cancellation,
 * the stage-worker binding, the recovery sweep of its own stage and the time-limit sweep. The app adds its feature module.
 */
@Module({})
export class WorkerModule {
  static forStage(stage: TaskStage, options: WorkerOptions): DynamicModule {
    const recovery: StageRecoveryOptions = { ...options.recovery, stage };
    return {
      module: WorkerModule,
      global: true,
      imports: [
        PersistenceModule.forRoot(options.database),
        RedisModule.forRoot(options.redis),
        QueuesModule.forRoot(options.redis, options.queues, options.locks),
        EventsModule.forRoot(options),
        CancellationModule,
      ],
      providers: [
        { provide: RECOVERY_OPTIONS, useValue: recovery },
        { provide: TIME_LIMIT_OPTIONS, useValue: options.timeLimits },
        StageRecovery,
        TaskDeadlines,
        StageWorkers,
        StageRunner,
      ],
      exports: [StageWorkers, StageRunner, CancellationModule],
    };
  }
}
