import { DynamicModule, Logger, LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { TaskStage } from '@app/contracts';
import { redisTransport } from './events.module';
import { WorkerModule, WorkerSettings } from './worker.module';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug'];

/** Nest's logger levels up to and including the configured one. */
export function logLevelsUpTo(level: string): LogLevel[] {
  const index = LOG_LEVELS.indexOf(level as LogLevel);
  return LOG_LEVELS.slice(0, index < 0 ? LOG_LEVELS.length : index + 1);
}

@Module({})
class WorkerRootModule {}

/**
 * Starts a stage worker: a Nest microservice on the Redis transport (for cancel broadcasts) whose
 * modules process Bull jobs. SIGTERM closes the queues, which waits for the jobs in hand to finish.
 */
export async function bootstrapWorker(
  name: string,
  stage: TaskStage,
  settings: WorkerSettings & { LOG_LEVEL: string },
  feature: DynamicModule,
): Promise<void> {
  const root: DynamicModule = { module: WorkerRootModule, imports: [WorkerModule.forStage(stage, settings), feature] };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(root, {
    ...redisTransport(settings),
    logger: logLevelsUpTo(settings.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  await app.listen();
  new Logger(name).log(`${name} started (pid ${process.pid})`);
}

/** The same exit path for every app: the reason on stderr (a ConfigError names the variables), code 1. */
export function exitOnStartupError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
