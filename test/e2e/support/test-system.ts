import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { retireLeftovers } from '../../support/database';
import { freePort } from '../../support/net';

export { freePort };

export type AppName = 'gateway' | 'collector' | 'evaluator' | 'result-generator';
/** Every process the tests start from the build: the four apps, and the HTTP LLM simulator. */
export type ProcessName = AppName | 'llm-simulator';

/** The checkout: the nearest folder with a package.json (the bench runs this file compiled under dist/). */
function checkoutRoot(from: string): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no package.json above ${from}`);
  }
}
const ROOT = checkoutRoot(__dirname);
const READY_LINE: Record<ProcessName, RegExp> = {
  gateway: /^listening on http/,
  collector: /^Collector started/,
  evaluator: /^Evaluator started/,
  'result-generator': /^ResultGenerator started/,
  'llm-simulator': /OpenAI-compatible API at/,
};

/** Output lines an AppProcess always keeps from its start, whatever its `retainLines`. */
const HEAD_LINES = 200;

/** One JSON log line of an app (pino): the fields every line has, and whatever the line adds. */
export interface LogLine {
  level: string;
  time: string;
  app: string;
  msg: string;
  task_id?: string;
  job_id?: string;
  queue?: string;
  event?: string;
  request_id?: string;
  [field: string]: unknown;
}

/** The apps run as deployed: with the heap ceiling of npm start, compose and k8s (ADR 19), unless one is set. */
function withHeapCeiling(options = ''): string {
  return options.includes('max-old-space-size') ? options : `${options} --max-old-space-size=256`.trim();
}

/** One app started from the build (dist/), as `npm start` runs it, with its output kept for assertions. */
export class AppProcess {
  /** stdout and stderr as they came (stderr: Node's own warnings, a start-up error). */
  readonly output: string[] = [];
  /** The app's log: every stdout line, parsed; a line that is not JSON fails the test that reads it. */
  private readonly stdout: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;

  /**
   * `retainLines` bounds the output kept (a benchmark's apps log for minutes): beyond it, the first
   * lines (start-up: ready, health port) and the latest ones are kept.
   */
  constructor(
    readonly name: ProcessName,
    readonly label: string,
    env: NodeJS.ProcessEnv,
    retainLines = Number.POSITIVE_INFINITY,
  ) {
    this.process = spawn(process.execPath, [join(ROOT, 'dist', 'apps', name, 'src', 'main.js')], {
      cwd: ROOT,
      env: { ...env, NODE_OPTIONS: withHeapCeiling(env.NODE_OPTIONS), NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep =
      (...into: string[][]) =>
      (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) for (const list of into) list.push(line);
        for (const list of into)
          if (list.length > retainLines * 1.5) list.splice(HEAD_LINES, list.length - retainLines);
      };
    // Pino writes whole lines synchronously, so a chunk never splits one.
    this.process.stdout?.on('data', keep(this.output, this.stdout));
    this.process.stderr?.on('data', keep(this.output));
    // 'close', not 'exit': by then the output has been read to its end.
    this.exited = once(this.process, 'close').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** Every log line so far, parsed; throws naming the first line that is not a JSON object. */
  logs(): LogLine[] {
    return this.stdout.map((line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`${this.label} logged a line that is not JSON: ${line}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error(`${this.label} logged a line that is not a JSON object: ${line}`);
      return parsed as LogLine;
    });
  }

  /** Log lines whose message matches the pattern and which carry every given field value. */
  lines(pattern: RegExp, fields: Partial<LogLine> = {}): LogLine[] {
    return this.logs().filter(
      (line) => pattern.test(line.msg ?? '') && Object.entries(fields).every(([key, value]) => line[key] === value),
    );
  }

  async waitForLine(pattern: RegExp, timeoutMs: number, fields: Partial<LogLine> = {}): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [line] = this.lines(pattern, fields);
      if (line) return line;
      if (!this.running) throw new Error(`${this.label} exited before printing ${pattern}:\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.label} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`);
      await delay(50);
    }
  }

  /** Where a worker serves its probes and metrics, as it logged at start. */
  healthUrl(): string {
    const port = this.logs()
      .map((line) => line.health_port)
      .find((value): value is number => typeof value === 'number');
    if (port === undefined) throw new Error(`${this.label} has not logged its health port:\n${this.tail()}`);
    return `http://127.0.0.1:${port}`;
  }

  tail(lines = 30): string {
    return this.output.slice(-lines).join('\n');
  }
}

export interface SystemOptions {
  replicas?: Partial<Record<AppName, number>>;
  /** How long each app may take to start (default 60 s; a loaded machine running many apps needs more). */
  readyTimeoutMs?: number;
  env?: Record<string, string>;
  /** Output lines kept per app (see AppProcess); unbounded by default, as the tests read whole logs. */
  retainLines?: number;
}

/**
 * The four apps as separate processes on the real Redis and Postgres, on a queue prefix of their own
 * (so runs never see each other's jobs), driven over HTTP like a client. On the shared test database
 * a system starts by ending what earlier ones left in flight (see retireLeftovers); a caller that
 * names its own DATABASE_NAME (the bench, the chaos spec) keeps its database as it is.
 */
export class TestSystem {
  readonly apps: AppProcess[] = [];
  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly baseUrl: string,
    private readonly readyTimeoutMs: number,
    private readonly retainLines?: number,
  ) {}

  static async start(options: SystemOptions = {}): Promise<TestSystem> {
    if (options.env?.DATABASE_NAME === undefined) await retireLeftovers();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      DATABASE_NAME: process.env.DATABASE_NAME ?? 'dataproc_test',
      QUEUE_PREFIX: `e2e-${randomBytes(4).toString('hex')}`,
      // Every worker replica takes a free port for its probes and metrics (each logs which).
      HEALTH_PORT: '0',
      // A killed worker's job is taken over within seconds, not the minute of the defaults.
      QUEUE_LOCK_DURATION_MS: '3000',
      QUEUE_STALLED_INTERVAL_MS: '1000',
      ...options.env,
    };
    const system = new TestSystem(
      env,
      `http://127.0.0.1:${port}`,
      options.readyTimeoutMs ?? 60_000,
      options.retainLines,
    );
    const counts: Record<AppName, number> = {
      gateway: 1,
      collector: 1,
      evaluator: 1,
      'result-generator': 1,
      ...options.replicas,
    };
    for (const [name, count] of Object.entries(counts) as [AppName, number][]) {
      for (let replica = 0; replica < count; replica += 1) system.launch(name);
    }
    try {
      await Promise.all(system.apps.map((app) => app.waitForLine(READY_LINE[app.name], system.readyTimeoutMs)));
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** Starts one more replica of an app (e.g. to replace a killed one) and waits until it is ready. */
  async add(name: AppName, env: Record<string, string> = {}): Promise<AppProcess> {
    const app = this.launch(name, env);
    await app.waitForLine(READY_LINE[name], this.readyTimeoutMs);
    return app;
  }

  replicas(name: AppName): AppProcess[] {
    return this.apps.filter((app) => app.name === name);
  }

  async stop(): Promise<void> {
    for (const app of this.apps) app.kill('SIGTERM');
    await Promise.all(
      this.apps.map(async (app) => {
        const timer = setTimeout(() => app.kill('SIGKILL'), 15_000);
        await app.exited;
        clearTimeout(timer);
      }),
    );
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  /**
   * Announces a body of `declaredBytes` and sends only its first bytes, then reads what the server
   * answers. A server that refuses the body by its declared length answers at once; sending the rest
   * would only make the refusal's connection close race with the upload.
   */
  postDeclaredLength(
    path: string,
    declaredBytes: number,
    firstBytes: string,
  ): Promise<{ status: number; body: string }> {
    const { hostname, port } = new URL(this.baseUrl);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let received = '';
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => {
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1] ?? 0);
        resolve({ status, body: received.slice(received.indexOf('\r\n\r\n') + 4) });
      });
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${declaredBytes}\r\nConnection: close\r\n\r\n${firstBytes}`,
      );
    });
  }

  async submit(task: unknown): Promise<string> {
    const response = await this.request('POST', '/api/v1/tasks', task);
    if (response.status !== 202)
      throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  }

  /**
   * A finished task's whole result, every page of GET /tasks/{id}/result joined (GET /tasks/{id}
   * shows the first page of each dimension's passing records only).
   */
  async fullResult(id: string): Promise<any> {
    let result: any;
    let cursor: string | null = null;
    do {
      const response = await this.request(
        'GET',
        `/api/v1/tasks/${id}/result?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
      );
      if (response.status !== 200)
        throw new Error(`GET result answered ${response.status}: ${JSON.stringify(response.body)}`);
      const page = response.body;
      if (result === undefined) result = page;
      else
        page.dimensions.forEach((dimension: any, index: number) =>
          result.dimensions[index].passed_records.push(...dimension.passed_records),
        );
      cursor = page.next_cursor;
    } while (cursor !== null);
    return result;
  }

  async task(id: string): Promise<any> {
    const response = await this.request('GET', `/api/v1/tasks/${id}`);
    if (response.status !== 200)
      throw new Error(`GET task answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  /** Polls the task until the predicate holds; fails with the task's last state and the apps' logs. */
  async waitForTask(id: string, predicate: (task: any) => boolean, timeoutMs: number): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let task = await this.task(id);
    while (!predicate(task)) {
      if (Date.now() > deadline) {
        const logs = this.apps.map((app) => `--- ${app.label}\n${app.tail(15)}`).join('\n');
        throw new Error(
          `task ${id} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(task)}\n${logs}`,
        );
      }
      await delay(100);
      task = await this.task(id);
    }
    return task;
  }

  waitForEnd(id: string, timeoutMs: number): Promise<any> {
    return this.waitForTask(id, (task) => !['pending', 'running'].includes(task.status), timeoutMs);
  }

  private launch(name: AppName, env: Record<string, string> = {}): AppProcess {
    const label = `${name}#${this.replicas(name).length + 1}`;
    const app = new AppProcess(name, label, { ...this.env, ...env }, this.retainLines);
    this.apps.push(app);
    return app;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The HTTP LLM simulator (apps/llm-simulator) as a process of its own, on a free port. */
export async function startLlmSimulator(
  env: Record<string, string>,
): Promise<{ app: AppProcess; apiUrl: string; admin: (method: string, path: string, body?: unknown) => Promise<any> }> {
  const port = await freePort();
  const app = new AppProcess('llm-simulator', 'llm-simulator', { ...process.env, PORT: String(port), ...env });
  await app.waitForLine(READY_LINE['llm-simulator'], 30_000);
  const base = `http://127.0.0.1:${port}`;
  const admin = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${base}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return response.json();
  };
  return { app, apiUrl: `${base}/v1`, admin };
}
