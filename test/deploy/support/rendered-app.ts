import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { testDatabaseSettings } from '../../support/database';
import { freePort } from '../../e2e/support/test-system';

export const ROOT = join(__dirname, '..', '..', '..');

/** One app as a deployment manifest runs it: its argv and its whole environment. */
export interface RenderedApp {
  name: string;
  command: string[];
  env: Record<string, string>;
  /** The variable (PORT or HEALTH_PORT) whose port the manifest probes; none for a one-off job. */
  probePortVariable?: string;
  /** How it is probed: GET /health/ready (default), or an open TCP port (an app without health endpoints). */
  probeKind?: 'http' | 'tcp';
  /** `host:port` of another rendered app → where that app runs here, replaced in every variable. */
  rewrites?: Record<string, string>;
}

/** The built entry point a command runs (`node dist/...js`), if it is a Node script of ours. */
export function entryPointOf(command: readonly string[]): string | undefined {
  return command[0] === 'node' ? command.find((arg) => arg.startsWith('dist/')) : undefined;
}

/** Whether the build has the app the command runs (an app another branch adds may not be on this one). */
export function isBuilt(app: RenderedApp): boolean {
  const entry = entryPointOf(app.command);
  return entry !== undefined && existsSync(join(ROOT, entry));
}

/**
 * The manifest's environment with only what must differ on this machine replaced: Postgres and Redis
 * are the local ones (on the test database), listeners bind to loopback on free ports, and the queue
 * prefix is unique to the run. Everything else is exactly what the manifest says; nothing is inherited
 * from the test process but PATH.
 */
async function localEnvironment(app: RenderedApp): Promise<{ env: NodeJS.ProcessEnv; probePort?: number }> {
  const local = testDatabaseSettings();
  const manifest = Object.fromEntries(
    Object.entries(app.env).map(([name, value]) => [
      name,
      Object.entries(app.rewrites ?? {}).reduce((text, [from, to]) => text.split(from).join(to), value),
    ]),
  );
  const env: NodeJS.ProcessEnv = {
    ...manifest,
    PATH: process.env.PATH,
    DATABASE_HOST: local.DATABASE_HOST,
    DATABASE_PORT: String(local.DATABASE_PORT),
    DATABASE_USER: local.DATABASE_USER,
    DATABASE_PASSWORD: local.DATABASE_PASSWORD,
    DATABASE_NAME: local.DATABASE_NAME,
    REDIS_HOST: local.REDIS_HOST,
    REDIS_PORT: String(local.REDIS_PORT),
    REDIS_PASSWORD: local.REDIS_PASSWORD,
    REDIS_DB: String(local.REDIS_DB),
    QUEUE_PREFIX: `${app.env.QUEUE_PREFIX ?? 'dataproc'}-deploy-${randomBytes(4).toString('hex')}`,
    NO_COLOR: '1',
  };
  for (const name of ['HOST', 'HEALTH_HOST']) if (name in env) env[name] = '127.0.0.1';
  let probePort: number | undefined;
  for (const name of ['PORT', 'HEALTH_PORT']) {
    if (!(name in env)) continue;
    const port = await freePort();
    env[name] = String(port);
    if (name === app.probePortVariable) probePort = port;
  }
  return { env, probePort };
}

/** A rendered app started as a process, with its output kept for the failure message. */
export class RunningApp {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly app: RenderedApp,
    private readonly child: ChildProcess,
    /** The environment it runs with, after the local adaptations. */
    readonly env: NodeJS.ProcessEnv,
    readonly probePort: number | undefined,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(...chunk.toString().split('\n').filter(Boolean));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = once(child, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  static async start(app: RenderedApp): Promise<RunningApp> {
    const { env, probePort } = await localEnvironment(app);
    const [program, ...args] = app.command;
    // The image's `node` is this machine's node.
    const child = spawn(program === 'node' ? process.execPath : program, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new RunningApp(app, child, env, probePort);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Polls the probe until it passes (/health/ready answers 200, or the TCP port opens); returns the answer. */
  async waitUntilReady(timeoutMs: number): Promise<any> {
    const port = this.probePort;
    if (port === undefined) throw new Error(`${this.app.name}: the manifest gives it no probe port`);
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (!this.running) throw new Error(`${this.app.name} exited before it was ready:\n${this.tail()}`);
      try {
        if (this.app.probeKind === 'tcp') {
          const socket = connect(port, '127.0.0.1');
          await once(socket, 'connect');
          socket.destroy();
          return { status: 'ok' };
        }
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
        const body = await response.text();
        if (response.status === 200) return JSON.parse(body);
        last = `${response.status} ${body}`;
      } catch (error) {
        last = String(error);
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.app.name} not ready within ${timeoutMs} ms (last: ${last}):\n${this.tail()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /**
   * SIGTERM, as the orchestrator stops it. Nest runs the shutdown hooks (a worker drains its jobs),
   * then re-raises the signal: a clean stop ends by SIGTERM, not by the SIGKILL sent after 20 s.
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  tail(lines = 25): string {
    return this.output.slice(-lines).join('\n');
  }
}

/**
 * Makes sure a command-line tool is installed, from Debian's package when it is missing (as
 * scripts/ensure-services.sh does for Redis and Postgres); no recommended packages (no engine).
 */
export function ensureTool(command: string, debianPackage: string): void {
  const found = (): boolean => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore', env: process.env });
      return true;
    } catch {
      return false;
    }
  };
  if (found()) return;
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    const [program, ...rest] = [...asRoot, ...args];
    execFileSync(program, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  run(['apt-get', 'update', '-q']);
  run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', debianPackage]);
  if (!found()) throw new Error(`${command} is still missing after apt-get install ${debianPackage}`);
}
