import type { ProviderRateLimits } from '@app/contracts';

/** Header look-up, for fetch's Headers and Node's header objects alike. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

const UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** OpenAI's reset durations: "1s", "6m0s", "20ms", "1h2m3.5s"; a bare number is seconds. */
export function parseDurationMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) return undefined;
  return Math.ceil(parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNITS[unit], 0));
}

function count(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text);
}

/** The x-ratelimit-* headers of an answer; undefined when it carries none. */
export function parseRateLimits(headers: HeaderSource): ProviderRateLimits | undefined {
  const limits: ProviderRateLimits = {
    remainingRequests: count(header(headers, 'x-ratelimit-remaining-requests')),
    resetRequestsMs: parseDurationMs(header(headers, 'x-ratelimit-reset-requests')),
    remainingTokens: count(header(headers, 'x-ratelimit-remaining-tokens')),
    resetTokensMs: parseDurationMs(header(headers, 'x-ratelimit-reset-tokens')),
  };
  const known = Object.entries(limits).filter(([, value]) => value !== undefined);
  return known.length === 0 ? undefined : Object.fromEntries(known);
}

/** How long a 429 asks to wait: retry-after-ms, else retry-after in seconds or as an HTTP date. */
export function parseRetryAfterMs(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const after = header(headers, 'retry-after');
  if (after === undefined) return undefined;
  if (/^\d+(\.\d+)?$/.test(after.trim())) return Math.ceil(Number(after) * 1000);
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
