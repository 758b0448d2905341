import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { QueueName } from '@app/contracts';
import { redisConnection, RedisSettings } from '@app/redis';
import { StageDispatcher } from './stage-dispatcher';

export interface QueueSettings extends RedisSettings {
  QUEUE_PREFIX: string;
  QUEUE_JOB_ATTEMPTS: number;
  QUEUE_JOB_BACKOFF_MS: number;
}

/** Lock settings of the apps that process jobs; producers keep Bull's defaults. */
export interface WorkerQueueSettings extends QueueSettings {
  QUEUE_LOCK_DURATION_MS: number;
  QUEUE_STALLED_INTERVAL_MS: number;
  QUEUE_MAX_STALLED_COUNT: number;
}

/**
 * Registers the three stage queues (every app may produce into any of them) and the dispatcher.
 * Every replica that processes a queue must build it with the same settings, so they live here.
 */
@Module({})
export class QueuesModule {
  static forRoot(settings: QueueSettings | WorkerQueueSettings): DynamicModule {
    const worker = 'QUEUE_LOCK_DURATION_MS' in settings ? settings : undefined;
    const queues = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));
    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRoot({
          redis: redisConnection(settings),
          prefix: settings.QUEUE_PREFIX,
          settings: worker && {
            lockDuration: worker.QUEUE_LOCK_DURATION_MS,
            lockRenewTime: Math.floor(worker.QUEUE_LOCK_DURATION_MS / 2),
            stalledInterval: worker.QUEUE_STALLED_INTERVAL_MS,
            maxStalledCount: worker.QUEUE_MAX_STALLED_COUNT,
          },
          defaultJobOptions: {
            attempts: settings.QUEUE_JOB_ATTEMPTS,
            backoff: { type: 'exponential', delay: settings.QUEUE_JOB_BACKOFF_MS },
            // Finished jobs are kept for a while so that a repeated enqueue of the same job id is a no-op.
            removeOnComplete: { age: 3_600, count: 50_000 },
            removeOnFail: { age: 7 * 86_400 },
          },
        }),
        queues,
      ],
      providers: [StageDispatcher],
      exports: [queues, StageDispatcher],
    };
  }
}
