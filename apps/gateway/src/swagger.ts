import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const API_PREFIX = 'api/v1';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Data-processing service')
    .setDescription(
      'Submit tasks that collect records from data sources, score every record with an LLM on your dimensions, ' +
        'and generate a per-dimension result. Tasks run asynchronously: POST returns 202 at once; follow the task with GET.',
    )
    .setVersion('1.0')
    .build();
  return SwaggerModule.createDocument(app, config);
}
