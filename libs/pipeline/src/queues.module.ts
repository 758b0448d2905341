import { BullModule } from '@nestjs/bull';
import { DynamicModule, Module } from '@nestjs/common';
import { QueueName } from '@app/contracts';
import type { QueueLockOptions, QueueOptions, RedisOptions } from '@app/config';
import { redisConnection } from '@app/redis';
import { EvictionPolicyCheck } from './eviction-policy';
import { CHUNK_WINDOW, StageDispatcher } from './stage-dispatcher';
import { TaskStopper } from './task-stopper';

/**
 * Registers the three stage queues (every app may produce into any of them), the dispatcher and the
 * stopper, and
 * refuses to start on a Redis that may evict them.
 * Every replica that processes a queue must build it with the same settings, so they live here.
 */
@Module({})
export class QueuesModule {
  /** `locks` only in the apps that process jobs; producers keep Bull's defaults. */
  static forRoot(redis: RedisOptions, queues: QueueOptions, locks?: QueueLockOptions): DynamicModule {
    const registered = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));
    return {
      module: QueuesModule,
      global: true,
      imports: [
        BullModule.forRoot({
          redis: redisConnection(redis),
          prefix: queues.prefix,
          settings: locks && {
            lockDuration: locks.lockDurationMs,
            lockRenewTime: Math.floor(locks.lockDurationMs / 2),
            stalledInterval: locks.stalledIntervalMs,
            maxStalledCount: locks.maxStalledCount,
          },
          defaultJobOptions: {
            attempts: queues.jobAttempts,
            backoff: { type: 'exponential', delay: queues.jobBackoffMs },
            // Finished jobs are kept for a while so that a repeated enqueue of the same job id is a no-op.
            removeOnComplete: { age: 3_600, count: 50_000 },
            removeOnFail: { age: 7 * 86_400 },
          },
        }),
        registered,
      ],
      providers: [
        StageDispatcher,
        TaskStopper,
        { provide: CHUNK_WINDOW, useValue: queues.chunkWindow },
        { provide: EvictionPolicyCheck, useFactory: () => new EvictionPolicyCheck(redis) },
      ],
      exports: [registered, StageDispatcher, TaskStopper],
    };
  }
}
