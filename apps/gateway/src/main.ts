import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { loadConfig } from '@app/config';
import { exitOnStartupError, logLevelsUpTo, redisTransport } from '@app/messaging';
import { GatewayConfig } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { DependencyUnavailableFilter } from './http/dependency-unavailable.filter';
import { RequestValidationPipe } from './http/validation';
import { buildOpenApiDocument, useApiPrefix } from './swagger';

async function bootstrap(): Promise<void> {
  const config = loadConfig(GatewayConfig);
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config),
    new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES }),
    { logger: logLevelsUpTo(config.LOG_LEVEL) },
  );
  useApiPrefix(app);
  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalFilters(new DependencyUnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
  app.enableShutdownHooks();
  // Listens to progress broadcasts for this replica's live (SSE) clients.
  app.connectMicroservice(redisTransport(config), { inheritAppConfig: true });
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app));
  await app.startAllMicroservices();
  await app.listen(config.PORT, config.HOST);
  new Logger('Gateway').log(`listening on http://${config.HOST}:${config.PORT} (API /api/v1, Swagger UI /docs)`);
}

bootstrap().catch(exitOnStartupError);
