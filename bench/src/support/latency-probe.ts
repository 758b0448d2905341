import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProbeCommand, ProbedLatencies } from './latency-probe.worker';

export type { ProbedLatencies } from './latency-probe.worker';

/**
 * GETs sent at a steady rate while something else runs (the API's answer under load), from a worker
 * thread of their own: the bench's load generator and its reading of the apps' logs share the main
 * thread's event loop, and a GET timed there waited for them too. `target()` adds a URL to pick from
 * at random; `phase()` names what runs from then on, so the tail can be told apart by phase.
 */
export class LatencyProbe {
  private readonly worker: Worker;

  constructor(perSecond: number) {
    this.worker = new Worker(join(__dirname, 'latency-probe.worker.js'), { workerData: { perSecond } });
  }

  target(url: string): this {
    return this.send({ kind: 'target', url });
  }

  phase(name: string): this {
    return this.send({ kind: 'phase', name });
  }

  start(): this {
    return this.send({ kind: 'start' });
  }

  async stop(): Promise<ProbedLatencies> {
    const reply = once(this.worker, 'message') as Promise<[ProbedLatencies]>;
    this.send({ kind: 'stop' });
    const [latencies] = await reply;
    await this.worker.terminate();
    return latencies;
  }

  private send(command: ProbeCommand): this {
    this.worker.postMessage(command);
    return this;
  }
}
