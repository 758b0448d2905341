import { Agent, request } from 'node:http';
import { percentile } from './load';

export interface PacedOutcome {
  /** Answered with 2xx per second of the run. */
  requestsPerSecond: number;
  p50: number;
  p99: number;
  failed: number;
  /** Requests sent after the warm-up, 2xx or not. */
  sent: number;
}

/**
 * Open-loop load at a steady rate, as independent clients arriving at even intervals would make it:
 * request i is due at start + i / rate whether or not earlier ones were answered, and its latency is
 * counted from when it was due, so a server that falls behind is charged for the wait (no coordinated
 * omission). autocannon's `overallRate` cannot measure this: each connection sends its share for the
 * second in a burst at the start of the second, and its correction fills in samples at 1 ms intervals,
 * so its p99 at half the peak rate was about its p99 at the peak.
 * The first `warmUpSeconds` run at the same rate and are not counted: the server's code is optimised
 * and its pools and the client's connections are open by then, as in a service that has been running.
 */
export async function pacedLoad(
  url: string,
  body: string,
  ratePerSecond: number,
  seconds: number,
  warmUpSeconds = 2,
): Promise<PacedOutcome> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const warmUp = Math.round(ratePerSecond * warmUpSeconds);
  const total = warmUp + Math.round(ratePerSecond * seconds);
  const latencies: number[] = [];
  let failed = 0;
  let answered = 0;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const send = (due: number, counted: boolean): void => {
    const done = new Promise<void>((resolve) => {
      const finish = (ok: boolean): void => {
        if (!counted) return resolve();
        latencies.push(performance.now() - due);
        if (ok) answered += 1;
        else failed += 1;
        resolve();
      };
      const call = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => finish((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300));
          response.on('error', () => finish(false));
        },
      );
      call.on('error', () => finish(false));
      call.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / ratePerSecond <= now) {
      send(start + (next * 1000) / ratePerSecond, next >= warmUp);
      next += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return {
    requestsPerSecond: answered / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
    sent: total - warmUp,
  };
}
