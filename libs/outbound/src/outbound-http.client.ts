import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { OutboundGuard } from './outbound-guard';
import { OutboundRefusedError } from './outbound-guard';

/** A response body went past its size bound; the download was cut there. */
export class OutboundLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboundLimitError';
  }
}

/** The server answered with a status the caller did not accept. */
export class OutboundHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
  ) {
    super(message);
    this.name = 'OutboundHttpError';
  }
}

/** A request body given whole, or produced as it is sent (chunked), so a large one never sits in memory. */
export type OutboundBody = string | Buffer | AsyncIterable<string | Uint8Array>;

export interface OutboundRequest {
  url: string | URL;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: OutboundBody;
  signal: AbortSignal;
  /** The response body is cut with an OutboundLimitError past this many bytes. */
  maxBytes: number;
  /**
   * Redirects followed, each checked again; default 5. 0: a redirect is the answer (a webhook's
   * receiver is where it was told to be). A streamed body cannot be sent twice, so it never follows one.
   */
  maxRedirects?: number;
}

export interface OutboundResponse {
  /** Where the response came from, after redirects. */
  url: URL;
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, bounded by maxBytes; read it or call body.destroy(). */
  body: NodeJS.ReadableStream & { destroy(error?: Error): void };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;

/**
 * HTTP(S) requests to destinations a user named, under the OutboundGuard: every hop of a redirect is
 * checked again, and the body streams through a byte counter that cuts it at `maxBytes`.
 */
export class OutboundHttpClient {
  constructor(private readonly guard: OutboundGuard) {}

  async request(request: OutboundRequest): Promise<OutboundResponse> {
    const streamed = request.body !== undefined && !isWhole(request.body);
    const maxRedirects = streamed ? 0 : (request.maxRedirects ?? DEFAULT_MAX_REDIRECTS);
    let url = this.guard.checkUrl(request.url);
    let method = request.method ?? 'GET';
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const response = await this.send(url, method, body, request);
      const location = response.headers.location;
      if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined || maxRedirects === 0) {
        return { url, status: response.statusCode ?? 0, headers: response.headers, body: limit(response, request) };
      }
      response.resume();
      if (hop >= maxRedirects)
        throw new OutboundRefusedError(`more than ${maxRedirects} redirects from ${String(request.url)}`);
      url = this.guard.checkUrl(new URL(location, url));
      if (
        response.statusCode === 303 ||
        ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
      }
    }
  }

  private send(
    url: URL,
    method: string,
    body: OutboundBody | undefined,
    request: OutboundRequest,
  ): Promise<IncomingMessage> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send(url, {
        method,
        headers: {
          ...request.headers,
          // A streamed body goes chunked: no length is known before its end.
          ...(body !== undefined && isWhole(body) ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        lookup: this.guard.lookup,
        signal: request.signal,
      });
      outgoing.once('response', resolve);
      outgoing.once('error', reject);
      if (body === undefined || isWhole(body)) {
        outgoing.end(body);
        return;
      }
      // Backpressure from the socket paces the producer; a producer that throws (a database error
      // mid-export) aborts the request, which then rejects with that error.
      pipeline(Readable.from(body), outgoing).catch((error: Error) => {
        outgoing.destroy(error);
        reject(error);
      });
    });
  }
}

function isWhole(body: OutboundBody): body is string | Buffer {
  return typeof body === 'string' || Buffer.isBuffer(body);
}

/** The response body, cut with an OutboundLimitError once it passes request.maxBytes. */
function limit(response: IncomingMessage, request: OutboundRequest): OutboundResponse['body'] {
  const { maxBytes } = request;
  const declared = Number(response.headers['content-length']);
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > maxBytes) callback(new OutboundLimitError(`response body larger than ${maxBytes} bytes; cut`));
      else callback(null, chunk);
    },
  });
  counter.once('error', () => response.destroy());
  response.once('error', (error) => counter.destroy(error));
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.destroy();
    counter.destroy(new OutboundLimitError(`response body of ${declared} bytes is larger than ${maxBytes}; not read`));
    return counter;
  }
  return response.pipe(counter);
}
