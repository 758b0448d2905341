import { ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';

/** Node network errors and Postgres connection-exception / shutdown states. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|Connection is closed|connect ECONNREFUSED|timeout exceeded when trying to connect/i;

/** Whether an error means a dependency (Postgres, Redis) cannot be reached, rather than a fault of ours. */
export function isDependencyUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return (
    UNAVAILABLE_MESSAGES.test(error.message) || (error.cause !== undefined && isDependencyUnavailable(error.cause))
  );
}

/**
 * Answers 503 (try again later) instead of a bare 500 when a request failed because Postgres or
 * Redis is unreachable; every other error keeps Nest's handling.
 */
@Catch()
export class DependencyUnavailableFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (!isDependencyUnavailable(exception)) return super.catch(exception, host);
    const reply = host.switchToHttp().getResponse<unknown>();
    this.applicationRef?.reply(
      reply,
      {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'A backing service is unreachable; try again later',
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
