import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { OBSERVABILITY_PATHS } from '@app/observability';

export const API_PREFIX = 'api/v1';

/** Probes and metrics sit at the same paths on every app, outside the API (an Ingress need not expose them). */
export function useApiPrefix(app: INestApplication): void {
  app.setGlobalPrefix(API_PREFIX, { exclude: [...OBSERVABILITY_PATHS, 'admin/queues', 'admin/queues/{*path}'] });
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Data-processing service')
    .setDescription(
      'Submit tasks that collect records from data sources, score every record with an LLM on your dimensions, ' +
        'and generate a per-dimension result. Tasks run asynchronously: POST returns 202 at once; follow the task with GET.',
    )
    .setVersion('1.0')
    // Either scheme works when the deployment sets API_KEYS; "Authorize" in Swagger UI fills one in.
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key as a bearer token' }, 'bearer')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key' }, 'api-key')
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('api-key')
    .build();
  return SwaggerModule.createDocument(app, config);
}
