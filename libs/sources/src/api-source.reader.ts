import { createInterface } from 'node:readline';
import { ProviderError, type SourceRecord } from '@app/contracts';
import type { OutboundHttpClient } from '@app/outbound';
import { OutboundHttpError, type OutboundResponse } from '@app/outbound';
import type { LiveSourceSpec, SourceLimits } from './live-source';
import { RecordBatcher } from './record-mapper';
import { toSourceError } from './source-errors';

export interface ApiSourceLimits extends SourceLimits {
  /** Bytes of one response body (DATA_SOURCE_MAX_BYTES); a larger body is cut and fails the source. */
  maxBytes: number;
  /** Pages followed through `Link: rel="next"` or a `next` field; the rest is not fetched. */
  maxPages: number;
}

const NDJSON_TYPES = /^application\/(x-ndjson|ndjson|jsonl|x-jsonlines|jsonlines)\b/i;
const ERROR_EXCERPT = 200;

/**
 * An `api` source: HTTP GET of JSON, either an array of records or an object with the array at
 * `recordsPath`; pages are followed through a `Link: <…>; rel="next"` header or a `next` URL field.
 * NDJSON bodies (one record per line) are streamed, so they are never held whole.
 */
export class ApiSourceReader {
  constructor(
    private readonly http: OutboundHttpClient,
    private readonly limits: ApiSourceLimits,
  ) {}

  async *read(source: LiveSourceSpec, signal: AbortSignal): AsyncGenerator<SourceRecord[]> {
    if (source.url === undefined) throw new ProviderError(`source ${source.id} has no url`, { retryable: false });
    const batcher = new RecordBatcher(source, this.limits);
    let next: URL | undefined = new URL(source.url);
    try {
      for (let page = 1; next !== undefined && page <= this.limits.maxPages; page++) {
        const response = await this.http.request({
          url: next,
          signal,
          maxBytes: this.limits.maxBytes,
          headers: { accept: 'application/json, application/x-ndjson;q=0.9' },
        });
        if (response.status < 200 || response.status >= 300) await rejectStatus(response);
        const linked = linkNext(response);
        if (NDJSON_TYPES.test(String(response.headers['content-type'] ?? ''))) {
          yield* this.ndjson(response, batcher, signal);
          next = linked;
          continue;
        }
        const body = await readJson(response, source.id);
        for (const raw of recordsOf(body, source)) {
          const batch = batcher.add(raw);
          if (batch) yield batch;
        }
        next = linked ?? nextField(body, response.url);
      }
      const rest = batcher.flush();
      if (rest.length > 0) yield rest;
    } catch (error) {
      throw toSourceError(source.id, error);
    }
  }

  private async *ndjson(
    response: OutboundResponse,
    batcher: RecordBatcher,
    signal: AbortSignal,
  ): AsyncGenerator<SourceRecord[]> {
    const lines = createInterface({ input: response.body, crlfDelay: Infinity });
    let line = 0;
    try {
      for await (const text of lines) {
        signal.throwIfAborted();
        line++;
        if (text.trim() === '') continue;
        let raw: unknown;
        try {
          raw = JSON.parse(text);
        } catch {
          throw new ProviderError(`line ${line} of ${response.url.href} is not JSON`, { retryable: false });
        }
        const batch = batcher.add(raw);
        if (batch) yield batch;
      }
    } finally {
      lines.close();
      response.body.destroy();
    }
  }
}

async function readText(response: OutboundResponse): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function rejectStatus(response: OutboundResponse): Promise<never> {
  const excerpt = (await readText(response).catch(() => '')).slice(0, ERROR_EXCERPT);
  throw new OutboundHttpError(
    `HTTP ${response.status} from ${response.url.href}${excerpt ? `: ${excerpt}` : ''}`,
    response.status,
    response.headers,
  );
}

async function readJson(response: OutboundResponse, sourceId: string): Promise<unknown> {
  const text = await readText(response);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError(`source ${sourceId}: ${response.url.href} did not answer JSON`, { retryable: false });
  }
}

function recordsOf(body: unknown, source: LiveSourceSpec): unknown[] {
  let value = body;
  const path = source.recordsPath;
  if (path !== undefined) {
    for (const key of path.split('.')) {
      value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
    }
  }
  if (!Array.isArray(value)) {
    const where = path === undefined ? 'the body' : `"${path}"`;
    throw new ProviderError(`source ${source.id}: ${where} is not an array of records`, { retryable: false });
  }
  return value;
}

/** The target of `Link: <…>; rel="next"`, resolved against the page's URL. */
function linkNext(response: OutboundResponse): URL | undefined {
  const header = response.headers.link;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?/i.test(match[2])) {
      return new URL(match[1], response.url);
    }
  }
  return undefined;
}

function nextField(body: unknown, base: URL): URL | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const next = (body as Record<string, unknown>).next;
  return typeof next === 'string' && next !== '' ? new URL(next, base) : undefined;
}
