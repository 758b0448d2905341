import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Logger, LoggerModule } from 'nestjs-pino';
import { stdSerializers } from 'pino';
import type { LoggingOptions } from '@app/config';
import { OBSERVABILITY_PATHS } from './observability.options';

/** The header a caller may set to trace its request through our logs; we answer it on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An id taken from a caller is echoed into logs and headers, so it must be short and plain. */
const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is plain enough to log, else a new one. */
export function requestId(req: { headers: IncomingHttpHeaders }): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && ACCEPTED_REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Fastify names each request (its `id`, which pino-http then logs) with requestId, and every response
 * answers it in X-Request-Id, errors and 404s included.
 */
export function requestIdOptions(): { genReqId: typeof requestId; requestIdHeader: false } {
  return { genReqId: requestId, requestIdHeader: false };
}

export function answerRequestId(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('X-Request-Id', request.id);
    done();
  });
}

type LoggedRequest = IncomingMessage & { originalUrl?: string };

/** Probes and scrapes come every few seconds and say nothing worth a line each. */
function isProbe(req: LoggedRequest): boolean {
  const path = (req.originalUrl ?? req.url ?? '').split('?')[0].replace(/^\/+/, '');
  return (OBSERVABILITY_PATHS as readonly string[]).includes(path);
}

function accessLogRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.originalUrl ?? req.url,
    remote_address: req.socket?.remoteAddress,
    user_agent: req.headers['user-agent'],
  };
}

function accessLogResponse(res: ServerResponse): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

/**
 * Pino for every app: JSON lines on stdout (one object per line, `app` on each), or pino-pretty for
 * reading by eye. HTTP lines, and every line logged while a request is handled, carry its
 * `request_id`; task and job lines add `task_id`, `job_id` and `queue` where they log.
 */
export function loggingModule(app: string, options: LoggingOptions): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: options.level,
      base: { app },
      // ISO time instead of epoch milliseconds: readable in any log viewer, still sortable.
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      // An access line names the request, not all its headers: less to serialise for every request,
      // and no credential (Authorization, X-API-Key, cookies) to redact.
      wrapSerializers: false,
      serializers: { req: accessLogRequest, res: accessLogResponse, err: stdSerializers.err },
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'request_id' },
      autoLogging: { ignore: isProbe },
      transport:
        options.format === 'pretty'
          ? {
              target: 'pino-pretty',
              options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
            }
          : undefined,
    },
  });
}

/** Makes the app's Nest logger (and every `new Logger(context)`) write through pino. */
export function usePinoLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
}
