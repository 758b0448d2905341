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
  /** The apps' processes and the bench's Redis. */
  private readonly processCpu = new CpuWindow();
  /** The system's Postgres backends on the bench database. */
  private readonly backendCpu = new CpuWindow();
  /** The bench's own Postgres backends, apart. */
  private readonly benchBackendCpu = new CpuWindow();
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
      usage.cpuMs += this.processCpu.spent(pid);
      usage.peakRssMb = Math.max(usage.peakRssMb, processMemoryMb(pid)?.peakRssMb ?? 0);
    }
    const redisCpuMs = this.processCpu.spent(this.redis.pid);
    const postgresCpuMs = this.backendCpu.total();
    const bench = process.cpuUsage(this.benchAtStart);
    const benchCpuMs = (bench.user + bench.system) / 1000 + this.benchBackendCpu.total();
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

  /** Keeps the last CPU figure of every process (an app that exits keeps its share) and the peaks. */
  private async sample(opening: boolean): Promise<void> {
    for (const pid of this.pids()) this.processCpu.see(pid, opening);
    this.redisPeakMemoryMb = Math.max(this.redisPeakMemoryMb, await this.redis.usedMemoryMb());
    const backends = await this.database.backendPids();
    for (const pid of backends.system) this.backendCpu.see(pid, opening);
    for (const pid of backends.bench) this.benchBackendCpu.see(pid, opening);
  }
}

/** The CPU of a set of processes over the window: each one's figure when the window opened, and its latest. */
class CpuWindow {
  private readonly atStart = new Map<number, number>();
  private readonly last = new Map<number, number>();

  /** Reads the process's CPU now; `opening`: as its figure at the window's start. */
  see(pid: number, opening: boolean): void {
    const cpu = processCpuMs(pid);
    if (cpu === undefined) return;
    if (opening) this.atStart.set(pid, cpu);
    this.last.set(pid, cpu);
  }

  /** CPU since the window opened; a process that appeared later counts from its own start. */
  spent(pid: number): number {
    const now = processCpuMs(pid) ?? this.last.get(pid) ?? 0;
    return now - (this.atStart.get(pid) ?? 0);
  }

  /** spent() of every process seen. */
  total(): number {
    let sum = 0;
    for (const pid of this.last.keys()) sum += this.spent(pid);
    return sum;
  }
}
