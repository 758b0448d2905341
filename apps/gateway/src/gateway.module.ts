import { DynamicModule, Module } from '@nestjs/common';
import { QueueName } from '@app/contracts';
import { EventsModule, QueuesModule } from '@app/pipeline';
import { loggingModule, ObservabilityModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { PersistenceModule } from '@app/persistence';
import { queueDashboardModules } from './admin/queue-dashboard.module';
import { AccessModule } from './auth';
import { BatchesModule } from './batches/batches.module';
import type { GatewayOptions } from './gateway.config';
import { HealthModule } from './health/health.module';
import { ProcessingModule } from './processing/processing.module';
import { TasksModule } from './tasks/tasks.module';

@Module({})
export class GatewayModule {
  static forRoot(options: GatewayOptions): DynamicModule {
    const tasks = TasksModule.forRoot({
      admission: options.admission,
      sources: options.sources,
      taskLimits: options.taskLimits,
      stream: options.stream,
    });
    return {
      module: GatewayModule,
      imports: [
        loggingModule('gateway', options.logging),
        PersistenceModule.forRoot(options.database),
        RedisModule.forRoot(options.redis),
        QueuesModule.forRoot(options.redis, options.queues),
        EventsModule.forRoot(options),
        AccessModule.forRoot(options.access),
        tasks,
        BatchesModule.forRoot(options.batches, tasks),
        ProcessingModule,
        HealthModule,
        // Tasks are counted here only: one query per scrape of a gateway, not of every replica of every app.
        ...(options.dashboard ? queueDashboardModules(options.dashboard) : []),
        ObservabilityModule.forRoot({ app: 'gateway', queues: Object.values(QueueName), taskCounts: true }),
      ],
    };
  }
}
