import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Logger, LoggerModule, PinoLogger } from 'nestjs-pino';
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

/** Probes and scrapes come every few seconds and say nothing worth a line each. */
function isProbe(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0].replace(/^\/+/, '');
  return (OBSERVABILITY_PATHS as readonly string[]).includes(path);
}

function accessLogRequest(req: IncomingMessage): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url,
    remote_address: req.socket?.remoteAddress,
    user_agent: req.headers['user-agent'],
  };
}

function accessLogResponse(res: ServerResponse): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

/** The id of the request being handled, wherever its handling has got to (callbacks, awaits, jobs it queues). */
const handling = new AsyncLocalStorage<string>();

/**
 * Pino's mixin: every line logged while a request is handled carries its `request_id`. A new object
 * each time, since pino merges the line's own fields into it.
 */
function requestIdField(): object {
  const id = handling.getStore();
  return id === undefined ? {} : { request_id: id };
}

/**
 * Pino for every app: JSON lines on stdout (one object per line, `app` on each), or pino-pretty for
 * reading by eye. HTTP lines, and every line logged while a request is handled, carry its
 * `request_id`; task and job lines add `task_id`, `job_id` and `queue` where they log.
 *
 * The module's pino-http middleware is not installed (`forRoutes: []`): on Fastify it ran through
 * Nest's middleware bridge and made two child loggers per request, about a tenth of the gateway's CPU
 * per submission. logRequests' Fastify hook writes the same access line and sets the request id.
 */
export function loggingModule(app: string, options: LoggingOptions): DynamicModule {
  return LoggerModule.forRoot({
    pinoHttp: {
      level: options.level,
      base: { app },
      // ISO time instead of epoch milliseconds: readable in any log viewer, still sortable.
      timestamp: () => `,"time":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      mixin: requestIdField,
      // An access line names the request, not all its headers: less to serialise for every request,
      // and no credential (Authorization, X-API-Key, cookies) to redact.
      wrapSerializers: false,
      serializers: { req: accessLogRequest, res: accessLogResponse, err: stdSerializers.err },
      transport:
        options.format === 'pretty'
          ? {
              target: 'pino-pretty',
              options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
            }
          : undefined,
    },
    forRoutes: [],
  });
}

/**
 * A request's access line, with pino-http's fields and messages: once its answer is sent, or when the
 * client went first. A 5xx answer is logged as an error.
 */
function logAnswer(request: FastifyRequest, reply: FastifyReply): void {
  const { raw: res } = reply;
  const fields = { req: request.raw, res, responseTime: Math.round(reply.elapsedTime) };
  if (!res.writableFinished) PinoLogger.root.info(fields, 'request aborted');
  else if (res.statusCode >= 500) PinoLogger.root.error(fields, 'request errored');
  else PinoLogger.root.info(fields, 'request completed');
}

/**
 * Handles each request, from its first hook on, inside its id's context (so its lines carry it), and
 * logs its access line when its response closes: after it was sent, or when the client left first (a
 * stream it stopped reading). Probes and scrapes are not logged.
 */
function logRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isProbe(request.raw)) reply.raw.once('close', () => handling.run(request.id, logAnswer, request, reply));
    handling.run(request.id, done);
  });
}

/** Makes the app's Nest logger (and every `new Logger(context)`) write through pino, and logs each request. */
export function usePinoLogger(app: INestApplication): void {
  app.useLogger(app.get(Logger));
  logRequests(app.getHttpAdapter().getInstance() as FastifyInstance);
}
