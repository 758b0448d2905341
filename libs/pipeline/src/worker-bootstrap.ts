import { DynamicModule, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { WorkerOptions } from '@app/config';
import { instrumentHttp, loggingModule, usePinoLogger } from '@app/observability';
import { TaskStage } from '@app/contracts';
import { listenToBroadcasts } from './events.module';
import { WorkerModule } from './worker.module';

@Module({})
class WorkerRootModule {}

/**
 * Starts a stage worker: its modules process Bull jobs, a listener on the Redis transport hears
 * cancel broadcasts, and a small HTTP listener on the health port serves what the app's modules
 * expose there (probes and metrics). SIGTERM closes the queues, which waits for the jobs in hand.
 */
export async function bootstrapWorker(
  name: string,
  app: string,
  stage: TaskStage,
  options: WorkerOptions,
  features: DynamicModule[],
): Promise<void> {
  const root: DynamicModule = {
    module: WorkerRootModule,
    imports: [loggingModule(app, options.logging), WorkerModule.forStage(stage, options), ...features],
  };
  const nest = await NestFactory.create<NestFastifyApplication>(root, new FastifyAdapter(), { bufferLogs: true });
  usePinoLogger(nest);
  instrumentHttp(nest);
  nest.enableShutdownHooks();
  await listenToBroadcasts(nest, options);
  await nest.listen(options.health.port, options.health.host);
  const { port } = nest.getHttpServer().address() as { port: number };
  new Logger(name).log({
    msg: `${name} started (pid ${process.pid}), health and metrics on http://${options.health.host}:${port}`,
    health_port: port,
  });
}
