import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { accepts, freePort } from './net';

/** A private redis-server on a free loopback port: a test may reconfigure, flush or stop it. */
export class RedisServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts one with the given extra arguments (e.g. `--maxmemory-policy allkeys-lru`), no persistence. */
  static async start(args: string[] = [], port?: number): Promise<RedisServer> {
    const chosen = port ?? (await freePort());
    const child = spawn(
      'redis-server',
      ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
      { stdio: 'ignore' },
    );
    const deadline = Date.now() + 10_000;
    while (!(await accepts(chosen))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`redis-server did not start on ${chosen}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return new RedisServer(child, chosen);
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    await once(this.process, 'exit');
  }
}
