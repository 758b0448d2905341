import { createHmac } from 'node:crypto';
import type { OutboundBody, OutboundHttpClient } from '@app/outbound';
import { OutboundRefusedError } from '@app/outbound';
import type { DeliveryReceipt } from './delivery.types';
import { DeliveryError } from './delivery.types';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  /** A string, or pieces sent as they are produced (chunked), so a large body never sits in memory. */
  body: OutboundBody;
}

/** Bytes of a receiver's answer read (and dropped); a receiver has nothing to tell but its status. */
const ANSWER_MAX_BYTES = 64 * 1024;

/**
 * POSTs a body to a receiver through the outbound guard (OUTBOUND_ALLOWED_HOSTS; private, loopback
 * and metadata addresses refused otherwise) and classifies its answer: a 2xx is delivered; 408, 429
 * and 5xx (and network failures, timeouts) are worth another attempt, honouring retry-after; any
 * other answer, a redirect included, is the receiver refusing for good, and so is a destination
 * the guard refuses (no request leaves then).
 */
export async function postWebhook(
  http: OutboundHttpClient,
  request: WebhookRequest,
  signal: AbortSignal,
): Promise<DeliveryReceipt> {
  let status: number;
  let retryAfter: string | string[] | undefined;
  try {
    const response = await http.request({
      url: request.url,
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      maxBytes: ANSWER_MAX_BYTES,
      maxRedirects: 0,
    });
    status = response.status;
    retryAfter = response.headers['retry-after'];
    // The answer's body is not needed; reading it frees the connection (a larger one is cut).
    await drain(response.body);
  } catch (error) {
    if (error instanceof OutboundRefusedError) {
      throw new DeliveryError(`POST ${request.url} refused: ${error.message}`, false, undefined, { cause: error });
    }
    throw new DeliveryError(`POST ${request.url} failed: ${describeCause(error)}`, true, undefined, { cause: error });
  }
  if (status >= 200 && status < 300) return { httpStatus: status };
  const retryable = status === 408 || status === 429 || status >= 500;
  throw new DeliveryError(
    `POST ${request.url} answered ${status}`,
    retryable,
    retryAfterMs(typeof retryAfter === 'string' ? retryAfter : undefined),
    { httpStatus: status },
  );
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`: what X-Signature carries, for the receiver to check. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function drain(body: NodeJS.ReadableStream & { destroy(error?: Error): void }): Promise<void> {
  try {
    for await (const _chunk of body) {
      // dropped
    }
  } catch {
    body.destroy();
  }
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function describeCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
