import { DynamicModule, Inject, Injectable, Logger, Module } from '@nestjs/common';
import { ClientProxy, ClientsModule, RedisOptions as RedisTransportOptions, Transport } from '@nestjs/microservices';
import { EventPattern, TaskCancelledEvent, TaskProgressEvent, TaskStage, TaskStatus } from '@app/contracts';
import type { RedisOptions } from '@app/config';
import { redisConnection } from '@app/redis';

const EVENTS_CLIENT = Symbol('EVENTS_CLIENT');

/** Options for an app's Redis-transport listener; broadcasts reach every replica that listens. */
export function redisTransport(redis: RedisOptions): RedisTransportOptions {
  const { host, port, password, db } = redisConnection(redis);
  return { transport: Transport.REDIS, options: { host, port, password, db, retryAttempts: 100, retryDelay: 1_000 } };
}

/**
 * Publishes task broadcasts. Publishing is best effort: Postgres holds the truth, so a lost progress
 * event costs a live view one update, and a lost cancel event is caught by the status check every job
 * makes when it starts.
 */
@Injectable()
export class TaskEventsPublisher {
  private readonly logger = new Logger(TaskEventsPublisher.name);

  constructor(@Inject(EVENTS_CLIENT) private readonly client: ClientProxy) {}

  cancelled(taskId: string): void {
    this.emit<TaskCancelledEvent>(EventPattern.TASK_CANCELLED, { taskId });
  }

  progress(task: { id: string; status: TaskStatus; stage: TaskStage | null }, message: string): void {
    this.emit<TaskProgressEvent>(EventPattern.TASK_PROGRESS, {
      taskId: task.id,
      status: task.status,
      stage: task.stage,
      message,
      at: new Date().toISOString(),
    });
  }

  private emit<T>(pattern: EventPattern, event: T): void {
    this.client.emit(pattern, event).subscribe({
      error: (error: unknown) => this.logger.warn(`could not publish ${pattern}: ${String(error)}`),
    });
  }
}

@Module({})
export class EventsModule {
  static forRoot(redis: RedisOptions): DynamicModule {
    const clients = ClientsModule.register([{ name: EVENTS_CLIENT, ...redisTransport(redis) }]);
    return {
      module: EventsModule,
      global: true,
      imports: [clients],
      providers: [TaskEventsPublisher],
      exports: [TaskEventsPublisher],
    };
  }
}
