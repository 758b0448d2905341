import { machineCpuMs, processCpuMs, processMemoryMb } from './proc';
import type { BenchDatabase, BenchRedis } from './services';

/** A process whose CPU and memory are measured, under the app name its figures are summed by. */
export interface WatchedProcess {
  app: string;
  pid: number | undefined;
}

export interface AppUsage {
  replicas: number;
  /** CPU time of all its replicas together over the window. */
  cpuMs: number;
  /** The largest peak RSS (VmHWM) of one replica, since it started. */
  peakRssMb: number;
}

export interface Usage {
  wallMs: number;
  apps: Record<string, AppUsage>;
  redisCpuMs: number;
  redisPeakMemoryMb: number;
  /** CPU of the system's Postgres backends on the bench database (not the server's shared processes, not the bench's own). */
  postgresCpuMs: number;
  /** The bench's own process (load generators, probes) and its own Postgres backends (progress polls). */
  benchCpuMs: number;
  /** Everything else on the machine: other users' work, the noise in the figures. */
  othersCpuMs: number;
  /** Cores of the machine, for reading the CPU figures as shares. */
  cores: number;
}

const SAMPLE_INTERVAL_MS = 500;

/**
 * Measures CPU and memory from /proc over a window: per app (replicas summed), the bench's Redis,
 * the Postgres backends of the bench database, the bench itself, and the rest of the machine.
 */
export class ResourceMonitor {
  private readonly cpuAtStart = new Map<number, number>();
  private readonly cpuLast = new Map<number, number>();
  private readonly backendCpuAtStart = new Map<number, number>();
  private readonly backendCpuLast = new Map<number, number>();
  /** The bench's own backends, apart. */
  private readonly benchBackendCpuAtStart = new Map<number, number>();
  private readonly benchBackendCpuLast = new Map<number, number>();
  private redisPeakMemoryMb = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private machineAtStart = machineCpuMs();
  private benchAtStart = process.cpuUsage();

  private constructor(
    private readonly processes: () => WatchedProcess[],
    private readonly redis: BenchRedis,
    private readonly database: BenchDatabase,
  ) {}

  static async start(
    processes: () => WatchedProcess[],
    redis: BenchRedis,
    database: BenchDatabase,
  ): Promise<ResourceMonitor> {
    const monitor = new ResourceMonitor(processes, redis, database);
    monitor.startedAt = performance.now();
    monitor.machineAtStart = machineCpuMs();
    monitor.benchAtStart = process.cpuUsage();
    for (const pid of monitor.pids()) {
      const cpu = processCpuMs(pid);
      if (cpu !== undefined) monitor.cpuAtStart.set(pid, cpu);
    }
    await monitor.sample(true);
    monitor.timer = setInterval(() => {
      monitor.sampling = monitor.sampling.then(() => monitor.sample(false)).catch(() => undefined);
    }, SAMPLE_INTERVAL_MS);
    return monitor;
  }

  async stop(): Promise<Usage> {
    clearInterval(this.timer);
    await this.sampling;
    await this.sample(false);
    const wallMs = performance.now() - this.startedAt;
    const apps: Record<string, AppUsage> = {};
    for (const { app, pid } of this.processes()) {
      if (app === 'redis' || pid === undefined) continue;
      const usage = (apps[app] ??= { replicas: 0, cpuMs: 0, peakRssMb: 0 });
      usage.replicas += 1;
      usage.cpuMs += this.cpuSpent(pid, this.cpuAtStart, this.cpuLast);
      usage.peakRssMb = Math.max(usage.peakRssMb, processMemoryMb(pid)?.peakRssMb ?? 0);
    }
    const redisCpuMs = this.cpuSpent(this.redis.pid, this.cpuAtStart, this.cpuLast);
    let postgresCpuMs = 0;
    for (const pid of this.backendCpuLast.keys())
      postgresCpuMs += this.cpuSpent(pid, this.backendCpuAtStart, this.backendCpuLast);
    const bench = process.cpuUsage(this.benchAtStart);
    let benchCpuMs = (bench.user + bench.system) / 1000;
    for (const pid of this.benchBackendCpuLast.keys())
      benchCpuMs += this.cpuSpent(pid, this.benchBackendCpuAtStart, this.benchBackendCpuLast);
    const machine = machineCpuMs();
    const machineBusyMs = machine.busyMs - this.machineAtStart.busyMs;
    const ours = Object.values(apps).reduce((sum, app) => sum + app.cpuMs, 0) + redisCpuMs + postgresCpuMs + benchCpuMs;
    return {
      wallMs,
      apps,
      redisCpuMs,
      redisPeakMemoryMb: this.redisPeakMemoryMb,
      postgresCpuMs,
      benchCpuMs,
      othersCpuMs: Math.max(0, machineBusyMs - ours),
      cores: Math.round((machine.totalMs - this.machineAtStart.totalMs) / wallMs) || 1,
    };
  }

  private pids(): number[] {
    const pids = this.processes()
      .map((process) => process.pid)
      .filter((pid): pid is number => pid !== undefined);
    return [...pids, this.redis.pid];
  }

  /** CPU since the window opened; a process that appeared later counts from its own start. */
  private cpuSpent(pid: number, atStart: Map<number, number>, last: Map<number, number>): number {
    const now = processCpuMs(pid) ?? last.get(pid) ?? 0;
    return now - (atStart.get(pid) ?? 0);
  }

  /** Keeps the last CPU figure of every process (an app that exits keeps its share) and the peaks. */
  private async sample(first: boolean): Promise<void> {
    for (const pid of this.pids()) {
      const cpu = processCpuMs(pid);
      if (cpu !== undefined) this.cpuLast.set(pid, cpu);
    }
    this.redisPeakMemoryMb = Math.max(this.redisPeakMemoryMb, await this.redis.usedMemoryMb());
    const backends = await this.database.backendPids();
    this.sampleBackends(backends.system, first, this.backendCpuAtStart, this.backendCpuLast);
    this.sampleBackends(backends.bench, first, this.benchBackendCpuAtStart, this.benchBackendCpuLast);
  }

  private sampleBackends(
    pids: number[],
    first: boolean,
    atStart: Map<number, number>,
    last: Map<number, number>,
  ): void {
    for (const pid of pids) {
      const cpu = processCpuMs(pid);
      if (cpu === undefined) continue;
      if (first) atStart.set(pid, cpu);
      last.set(pid, cpu);
    }
  }
}
