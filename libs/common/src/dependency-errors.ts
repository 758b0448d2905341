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

/** Errors whose message was written for users (a provider's verdict, a deadline), not by a driver. */
const PUBLIC_ERROR_NAMES = new Set(['ProviderError', 'CancelledError', 'TimeoutError']);

/**
 * What a client may see of an error stored on a task or shown by a health check: never a driver's
 * message, which names hosts, SQL or tables. The full error goes to the log instead.
 */
export function publicReason(error: unknown): string {
  if (isDependencyUnavailable(error)) return 'a backing service (Postgres or Redis) was unreachable';
  if (error instanceof Error && PUBLIC_ERROR_NAMES.has(error.name)) return error.message;
  return 'an internal error (details in the service logs)';
}
