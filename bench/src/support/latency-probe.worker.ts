/** The thread behind LatencyProbe: fires its GETs and times them, away from the bench's main loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { percentile } from './load';

export type ProbeCommand =
  | { kind: 'target'; url: string }
  | { kind: 'phase'; name: string }
  | { kind: 'start' }
  | { kind: 'stop' };

/** The latencies of the probe's GETs: all of them, and those of each phase it was told of. */
export interface ProbedLatencies {
  count: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  /** p99 of the GETs sent in each phase, by its name, in the order the phases began. */
  phaseP99: Record<string, number>;
}

const { perSecond } = workerData as { perSecond: number };
const urls: string[] = [];
const latenciesMs: number[] = [];
const phases = new Map<string, number[]>();
const inFlight = new Set<Promise<void>>();
let current: number[] | undefined;
let errors = 0;
let timer: NodeJS.Timeout | undefined;

function fire(): void {
  if (urls.length === 0) return;
  const url = urls[Math.floor(Math.random() * urls.length)];
  const started = performance.now();
  // A GET counts in the phase it was sent in.
  const phase = current;
  const request = fetch(url)
    .then(async (response) => {
      await response.arrayBuffer();
      if (response.status !== 200) {
        errors += 1;
        return;
      }
      const latencyMs = performance.now() - started;
      latenciesMs.push(latencyMs);
      phase?.push(latencyMs);
    })
    .catch(() => {
      errors += 1;
    })
    .finally(() => inFlight.delete(request));
  inFlight.add(request);
}

async function stop(): Promise<ProbedLatencies> {
  clearInterval(timer);
  await Promise.all(inFlight);
  return {
    count: latenciesMs.length,
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
    max: percentile(latenciesMs, 100),
    errors,
    phaseP99: Object.fromEntries([...phases].map(([name, latencies]) => [name, percentile(latencies, 99)])),
  };
}

parentPort?.on('message', (command: ProbeCommand) => {
  switch (command.kind) {
    case 'target':
      urls.push(command.url);
      break;
    case 'phase':
      current = [];
      phases.set(command.name, current);
      break;
    case 'start':
      timer = setInterval(fire, 1000 / perSecond);
      break;
    case 'stop':
      void stop().then((latencies) => parentPort?.postMessage(latencies));
      break;
  }
});
