/**
 * An app's own timing of one route, read from its Prometheus histogram
 * (`dataproc_http_request_duration_seconds`: from Fastify's first hook to the answer sent). Set beside
 * a client's timing of the same requests, it tells the time inside the app from the time the request
 * waited outside it (in the socket for a busy event loop, or for a core).
 */
export type HistogramReading = ReadonlyMap<number, number>;

const DURATION_BUCKET = 'dataproc_http_request_duration_seconds_bucket';

/** The cumulative count of each bucket (by its upper bound in ms, +Inf as Infinity) of one route. */
export async function readRouteHistogram(baseUrl: string, method: string, route: string): Promise<HistogramReading> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET ${baseUrl}/metrics answered ${response.status}`);
  const reading = new Map<number, number>();
  for (const line of (await response.text()).split('\n')) {
    if (!line.startsWith(`${DURATION_BUCKET}{`)) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    if (!labels.includes(`method="${method}"`) || !labels.includes(`route="${route}"`)) continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (le === undefined) continue;
    const count = Number(line.slice(line.lastIndexOf(' ') + 1));
    reading.set(le === '+Inf' ? Infinity : Number(le) * 1000, count);
  }
  return reading;
}

export interface RouteTiming {
  /** Requests answered between the two readings. */
  count: number;
  /** The bucket holding the 99th percentile, in ms: "≤ 50", "> 5000" past the largest bound. */
  p99Bucket: string;
  /** Share of the requests answered within `withinMs`, in % (0 without requests). */
  shareWithin: number;
}

/** What the app timed between two readings of its histogram: the p99's bucket, the share within a bound. */
export function routeTiming(before: HistogramReading, after: HistogramReading, withinMs: number): RouteTiming {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const countAt = (bound: number) => (after.get(bound) ?? 0) - (before.get(bound) ?? 0);
  const count = countAt(Infinity);
  const p99Rank = Math.ceil(count * 0.99);
  const p99Bound = bounds.find((bound) => countAt(bound) >= p99Rank) ?? Infinity;
  const finite = bounds.filter(Number.isFinite);
  const p99Bucket =
    count === 0 ? 'none timed' : Number.isFinite(p99Bound) ? `≤ ${p99Bound}` : `> ${finite.at(-1) ?? 0}`;
  const within = finite.filter((bound) => bound <= withinMs).at(-1);
  const shareWithin = count === 0 || within === undefined ? 0 : (100 * countAt(within)) / count;
  return { count, p99Bucket, shareWithin };
}
