import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { exitOnStartupError, loadConfig } from '@app/config';
import { answerRequestId, instrumentHttp, requestIdOptions, usePinoLogger } from '@app/observability';
import { listenToBroadcasts } from '@app/pipeline';
import { REDIS_CLIENT } from '@app/redis';
import { requireBasicAuth } from './admin/basic-auth';
import { QUEUE_DASHBOARD_PATH } from './admin/queue-dashboard.module';
import { registerRateLimit } from './auth';
import { GatewayConfig, gatewayOptions } from './gateway.config';
import { serveWebPage } from './web/web-page';
import { GatewayModule } from './gateway.module';
import { DependencyUnavailableFilter } from './http/dependency-unavailable.filter';
import { parseJsonBodies } from './http/json-body';
import { cacheValidationRules, RequestValidationPipe } from './http/validation';
import { buildOpenApiDocument, useApiPrefix } from './swagger';

async function bootstrap(): Promise<void> {
  const options = gatewayOptions(loadConfig(GatewayConfig));
  const { http } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(options),
    new FastifyAdapter({ bodyLimit: http.bodyLimitBytes, ...requestIdOptions() }),
    // JSON is the one body the API takes; parseJsonBodies registers its parser instead of Nest's.
    { bufferLogs: true, bodyParser: false },
  );
  parseJsonBodies(app.getHttpAdapter().getInstance());
  usePinoLogger(app);
  answerRequestId(app.getHttpAdapter().getInstance());
  instrumentHttp(app);
  serveWebPage(app.getHttpAdapter().getInstance());
  const logger = new Logger('Gateway');
  const { access } = options;
  if (access.keys.enabled) {
    // Before the routes are registered (at listen), so the limit hooks onto each of them.
    await registerRateLimit(app, access.keys, access.rateLimit, app.get(REDIS_CLIENT), options.queues.prefix);
  } else {
    logger.warn('API_KEYS is not set: the API is open to anyone who can reach it (no keys, no per-key limits)');
  }
  if (options.dashboard) {
    requireBasicAuth(app.getHttpAdapter().getInstance(), QUEUE_DASHBOARD_PATH, options.dashboard);
  } else {
    logger.warn(`ADMIN_USER and ADMIN_PASSWORD are not set: the queue dashboard (${QUEUE_DASHBOARD_PATH}) is off`);
  }
  useApiPrefix(app);
  cacheValidationRules();
  app.useGlobalPipes(new RequestValidationPipe());
  app.useGlobalFilters(new DependencyUnavailableFilter(app.get(HttpAdapterHost).httpAdapter));
  app.enableShutdownHooks();
  // Listens to progress broadcasts for this replica's live (SSE) clients.
  await listenToBroadcasts(app, options);
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app));
  await app.listen(http.port, http.host);
  const dashboard = options.dashboard
    ? `, queues ${QUEUE_DASHBOARD_PATH}${options.dashboard.readOnly ? ' (read-only)' : ''}`
    : '';
  logger.log(`listening on http://${http.host}:${http.port} (API /api/v1, Swagger UI /docs${dashboard})`);
}

bootstrap().catch(exitOnStartupError);
