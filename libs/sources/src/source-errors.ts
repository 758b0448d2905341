import { describeError, isAbortError } from '@app/common';
import { ProviderError } from '@app/contracts';
import { OutboundHttpError, OutboundLimitError, OutboundRefusedError } from '@app/outbound';

/** Network failures another attempt may not meet. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'PROTOCOL_CONNECTION_LOST',
  // Postgres: connection failures, the server shutting down or starting up.
  '08000',
  '08003',
  '08006',
  '57P01',
  '57P03',
]);

/**
 * A live source's failure as the collector judges it: ProviderError, retryable or not. Aborts pass
 * through unchanged (the collector tells its timeout from a cancel).
 */
export function toSourceError(sourceId: string, error: unknown): unknown {
  if (error instanceof ProviderError || isAbortError(error)) return error;
  if (error instanceof OutboundRefusedError || error instanceof OutboundLimitError) {
    return new ProviderError(error.message, { retryable: false, cause: error });
  }
  if (error instanceof OutboundHttpError) {
    return new ProviderError(`source ${sourceId}: ${error.message}`, {
      status: error.status,
      retryable: error.status === 429 || error.status >= 500,
      cause: error,
    });
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  return new ProviderError(`source ${sourceId}: ${describeError(error)}`, {
    retryable: TRANSIENT_CODES.has(code),
    cause: error,
  });
}
