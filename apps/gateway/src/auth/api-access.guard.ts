import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { BatchStore, TaskRepository } from '@app/persistence';
import { API_PREFIX } from '../swagger';
import type { Principal } from './api-keys';
import { ApiKeys, presentedKey } from './api-keys';
import { notFound } from '../http/not-found';

/** The request as the guard leaves it for the handlers. */
export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/** Everyone, when no keys are configured. */
export const OPEN_ACCESS: Principal = { name: null, admin: true };

/** Only a well-formed id is looked up; the handler answers 400 for the others. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Routes about one task or one batch; their `:id` must belong to the caller. */
const TASK_ROUTE = `/${API_PREFIX}/tasks/:id`;
const BATCH_ROUTE = `/${API_PREFIX}/batches/:id`;

const under = (route: string, base: string): boolean => route === base || route.startsWith(`${base}/`);

/**
 * Every route under the API prefix: with API keys configured, the caller must present one (401
 * otherwise); a task or batch named in the path must be the caller's (404 otherwise, as if it did not
 * exist), unless the key is an admin key. So every route about one task (its view, result, events,
 * export, cancel, retry, purge) and one batch is scoped here; lists and statistics scope their own
 * queries (ownerScope). Probes, metrics, the web page and the dashboard are not under the prefix.
 */
@Injectable()
export class ApiAccessGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeys,
    private readonly tasks: TaskRepository,
    private readonly batches: BatchStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.url.startsWith(`/${API_PREFIX}/`)) return true;
    const principal = this.authenticate(request);
    request.principal = principal;
    const route = request.routeOptions.url ?? '';
    const { id } = request.params as { id?: string };
    if (principal.admin || id === undefined || !UUID.test(id)) return true;
    // Something that does not exist is left to the handler, which answers 404 (or 400 for a bad id).
    if (under(route, TASK_ROUTE)) {
      const owner = await this.tasks.ownerOf(id);
      if (owner !== undefined && owner !== principal.name) throw notFound('Task', id);
    } else if (under(route, BATCH_ROUTE)) {
      const owner = await this.batches.ownerOf(id);
      if (owner !== undefined && owner !== principal.name) throw notFound('Batch', id);
    }
    return true;
  }

  private authenticate(request: FastifyRequest): Principal {
    if (!this.keys.enabled) return OPEN_ACCESS;
    const key = presentedKey(request.headers);
    const principal = key === undefined ? undefined : this.keys.identify(key);
    if (!principal) {
      throw new UnauthorizedException(
        key === undefined
          ? 'An API key is required: Authorization: Bearer <key> or X-API-Key: <key>'
          : 'Unknown API key',
      );
    }
    return principal;
  }
}
