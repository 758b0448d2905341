import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { PipelineMetrics } from './pipeline-metrics';

/**
 * Counts every answered request of a Fastify-based app by method, route pattern (`/api/v1/tasks/:id`,
 * never the raw URL, so the series stay few) and status code, with its duration.
 */
export function instrumentHttp(app: INestApplication): void {
  const metrics = app.get(PipelineMetrics);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}
