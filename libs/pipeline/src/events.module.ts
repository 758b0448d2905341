import type { INestApplication } from '@nestjs/common';
import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { RedisOptions as RedisTransportOptions } from '@nestjs/microservices';
import { EventPattern, TaskCancelledEvent, TaskProgressEvent, TaskStage, TaskStatus } from '@app/contracts';
import type { AppOptions, RedisOptions } from '@app/config';
import type Redis from 'ioredis';
import { redisConnection } from '@app/redis';
import { BroadcastLinks } from './broadcast-links';
import { DeploymentRedisClient, DeploymentRedisServer, keyedPattern } from './deployment-channels';

const EVENTS_CLIENT = Symbol('EVENTS_CLIENT');

/**
 * Broadcasts published per task, heard only where that task is followed: progress (several events
 * per task) matters only to the gateway replicas streaming that task to a client, while cancels go
 * to every worker.
 */
const KEYED_PATTERNS: readonly string[] = [EventPattern.TASK_PROGRESS];

/** Where broadcasts go: the Redis, and the deployment's prefix that scopes their channels. */
export type BroadcastOptions = Pick<AppOptions, 'redis' | 'queues'>;

/**
 * Options for an app's Redis-transport listener and publisher; broadcasts reach every replica of the
 * deployment that listens. Nest's transport stops reconnecting after `retryAttempts` and never tries
 * again, which would leave a replica deaf to cancels after a long outage: it retries forever instead.
 */
export function redisTransport(redis: RedisOptions): Required<RedisTransportOptions>['options'] {
  const { host, port, password, db } = redisConnection(redis);
  return { host, port, password, db, retryAttempts: Infinity, retryDelay: redis.reconnectMaxDelayMs };
}

/** Starts the app's listener on the Redis transport (cancels, progress) and has readiness watch it. */
export async function listenToBroadcasts(app: INestApplication, options: BroadcastOptions): Promise<void> {
  const strategy = new DeploymentRedisServer(options.queues.prefix, redisTransport(options.redis), KEYED_PATTERNS);
  app.get(BroadcastFollows).listenWith(strategy);
  const listener = app.connectMicroservice({ strategy }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  app.get(BroadcastLinks).watch('listener', () => listener.unwrap<[Redis, Redis]>());
}

/** Follows keys of keyed broadcasts (a task's progress) on this process's listener. */
@Injectable()
export class BroadcastFollows {
  private listener: DeploymentRedisServer | undefined;

  listenWith(listener: DeploymentRedisServer): void {
    this.listener = listener;
  }

  /**
   * Hears `pattern` for `key` until the function returned is called. A process that does not listen
   * to broadcasts hears nothing.
   */
  follow(pattern: EventPattern, key: string): () => void {
    return this.listener?.follow(pattern, key) ?? (() => undefined);
  }
}

/**
 * Publishes task broadcasts. Publishing is best effort: Postgres holds the truth, so a lost progress
 * event costs a live view one update, and a lost cancel event is caught by the status check every job
 * makes when it starts.
 */
@Injectable()
export class TaskEventsPublisher implements OnApplicationBootstrap {
  private readonly logger = new Logger(TaskEventsPublisher.name);

  constructor(
    @Inject(EVENTS_CLIENT) private readonly client: DeploymentRedisClient,
    private readonly links: BroadcastLinks,
  ) {}

  /** Connects at start (Nest would on the first emit), so readiness watches the publisher from the start. */
  async onApplicationBootstrap(): Promise<void> {
    await this.client
      .connect()
      .catch((error: unknown) => this.logger.warn(`broadcast publisher not connected yet: ${String(error)}`));
    this.links.watch('publisher', () => this.client.unwrap<[Redis, Redis]>());
  }

  cancelled(taskId: string): void {
    this.emit<TaskCancelledEvent>(EventPattern.TASK_CANCELLED, { taskId });
  }

  progress(task: { id: string; status: TaskStatus; stage: TaskStage | null }, message: string): void {
    this.emit<TaskProgressEvent>(keyedPattern(EventPattern.TASK_PROGRESS, task.id), {
      taskId: task.id,
      status: task.status,
      stage: task.stage,
      message,
      at: new Date().toISOString(),
    });
  }

  private emit<T>(pattern: string, event: T): void {
    this.client
      .broadcast(pattern, event)
      .catch((error: unknown) => this.logger.warn(`could not publish ${pattern}: ${String(error)}`));
  }
}

@Module({})
export class EventsModule {
  static forRoot(options: BroadcastOptions): DynamicModule {
    const client = {
      provide: EVENTS_CLIENT,
      useFactory: () => new DeploymentRedisClient(options.queues.prefix, redisTransport(options.redis)),
    };
    return {
      module: EventsModule,
      global: true,
      providers: [client, TaskEventsPublisher, BroadcastLinks, BroadcastFollows],
      exports: [TaskEventsPublisher, BroadcastLinks, BroadcastFollows],
    };
  }
}
