import { DynamicModule, Logger, LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { TaskStage } from '@app/contracts';
import { redisTransport } from './events.module';
import { WorkerModule, WorkerSettings } from './worker.module';

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug'];

/** Nest's logger levels up to and including the configured one. */
export function logLevelsUpTo(level: string): LogLevel[] {
  const index = LOG_LEVELS.indexOf(level as LogLevel);
  return LOG_LEVELS.slice(0, index < 0 ? LOG_LEVELS.length : index + 1);
}

export interface WorkerBootstrapSettings extends WorkerSettings {
  LOG_LEVEL: string;
  HEALTH_PORT: number;
  HEALTH_HOST: string;
}

@Module({})
class WorkerRootModule {}

/**
 * Starts a stage worker: its modules process Bull jobs, a listener on the Redis transport hears
 * cancel broadcasts, and a small HTTP listener on HEALTH_PORT serves what the app's modules
 * expose there (probes and metrics). SIGTERM closes the queues, which waits for the jobs in hand.
 */
export async function bootstrapWorker(
  name: string,
  stage: TaskStage,
  settings: WorkerBootstrapSettings,
  features: DynamicModule[],
): Promise<void> {
  const root: DynamicModule = {
    module: WorkerRootModule,
    imports: [WorkerModule.forStage(stage, settings), ...features],
  };
  const app = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(), {
    logger: logLevelsUpTo(settings.LOG_LEVEL),
  });
  app.enableShutdownHooks();
  app.connectMicroservice(redisTransport(settings), { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(settings.HEALTH_PORT, settings.HEALTH_HOST);
  const { port } = app.getHttpServer().address() as { port: number };
  new Logger(name).log(
    `${name} started (pid ${process.pid}), health and metrics on http://${settings.HEALTH_HOST}:${port}`,
  );
}

/** The same exit path for every app: the reason on stderr (a ConfigError names the variables), code 1. */
export function exitOnStartupError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
