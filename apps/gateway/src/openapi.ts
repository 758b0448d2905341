// Writes the OpenAPI document to stdout without connecting to anything (Nest's preview mode builds
// the module graph but instantiates no provider): `npm run openapi` keeps docs/openapi.json current.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { exitOnStartupError, loadConfig } from '@app/config';
import { GatewayConfig, gatewayOptions } from './gateway.config';
import { GatewayModule } from './gateway.module';
import { buildOpenApiDocument, useApiPrefix } from './swagger';

async function writeOpenApi(): Promise<void> {
  const app = await NestFactory.create(
    GatewayModule.forRoot(gatewayOptions(loadConfig(GatewayConfig))),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
    },
  );
  useApiPrefix(app);
  process.stdout.write(`${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`);
  await app.close();
}

writeOpenApi().catch(exitOnStartupError);
