import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { AuthenticatedRequest } from './api-access.guard';
import { OPEN_ACCESS } from './api-access.guard';
import type { Principal } from './api-keys';

/** The caller as ApiAccessGuard identified it. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().principal ?? OPEN_ACCESS,
);
