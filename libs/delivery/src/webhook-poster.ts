import { DeliveryError } from './delivery.types';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  /** Sent as it is produced (chunked), so a large body never sits in memory. */
  body: AsyncIterable<string> | string;
}

/**
 * POSTs a body to a receiver and classifies its answer: a 2xx is delivered; 408, 429 and 5xx (and
 * network failures, timeouts) are worth another attempt, honouring retry-after; any other 4xx is the
 * receiver refusing for good.
 */
export async function postWebhook(request: WebhookRequest, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: typeof request.body === 'string' ? request.body : encode(request.body),
      signal,
      redirect: 'manual',
      // Node's fetch needs this for a streamed body.
      ...({ duplex: 'half' } as object),
    });
  } catch (error) {
    throw new DeliveryError(`POST ${request.url} failed: ${describeCause(error)}`, true, undefined, { cause: error });
  }
  // The answer's body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status >= 200 && response.status < 300) return;
  const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
  throw new DeliveryError(
    `POST ${request.url} answered ${response.status}`,
    retryable,
    retryAfterMs(response.headers.get('retry-after')),
  );
}

async function* encode(pieces: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  const encoder = new TextEncoder();
  for await (const piece of pieces) yield encoder.encode(piece);
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
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
