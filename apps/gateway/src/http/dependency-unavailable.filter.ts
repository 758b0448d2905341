import { ArgumentsHost, Catch, HttpStatus } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { isDependencyUnavailable } from '@app/common';

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
