import { DynamicModule, Module } from '@nestjs/common';
import { QueueName } from '@app/contracts';
import { EventsModule, QueuesModule } from '@app/messaging';
import { ObservabilityModule } from '@app/observability';
import { RedisModule } from '@app/redis';
import { PersistenceModule } from '@app/persistence';
import { GatewayConfig } from './gateway.config';
import { HealthModule } from './health/health.module';
import { TasksModule } from './tasks/tasks.module';

@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PersistenceModule.forRoot(config),
        RedisModule.forRoot(config),
        QueuesModule.forRoot(config),
        EventsModule.forRoot(config),
        TasksModule,
        HealthModule,
        // Tasks are counted here only: one query per scrape of a gateway, not of every replica of every app.
        ObservabilityModule.forRoot({ app: 'gateway', queues: Object.values(QueueName), taskCounts: true }),
      ],
    };
  }
}
