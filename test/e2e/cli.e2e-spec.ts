import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import Bull from 'bull';
import type { CreateTaskDto } from '@app/contracts';
import { DataSourceType, EXAMPLE_TASK, QueueName } from '@app/contracts';
import { TestSystem } from './support/test-system';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

describe('the dataproc CLI against the running apps', () => {
  let system: TestSystem;
  const dir = mkdtempSync(join(tmpdir(), 'dataproc-cli-'));

  /** Runs the built CLI with the system's settings; resolves with its exit code and output. */
  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...system.env, DATAPROC_URL: system.baseUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  function taskFile(name: string, task: CreateTaskDto): string {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(task));
    return file;
  }

  beforeAll(async () => {
    system = await TestSystem.start();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
  }, 30_000);

  it('submits a task file and follows it with a progress bar to the end', async () => {
    const run = await cli('submit', taskFile('example.json', EXAMPLE_TASK), '--interval', '100');
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^status +completed$/m);
    expect(run.stdout).toMatch(/^records +(\d+)\/\1 evaluated/m);
    expect(run.stderr).toContain('100%');
    const id = /^task +(\S+)$/m.exec(run.stdout)?.[1] ?? '';
    expect((await system.task(id)).status).toBe('completed');

    const exported = await cli('export', id, '--format', 'csv');
    expect(exported.code).toBe(0);
    const answer = await system.request('GET', `/api/v1/tasks/${id}/export?format=csv`);
    expect(exported.stdout).toBe(String(answer.body).endsWith('\n') ? answer.body : `${answer.body}\n`);
    expect(exported.stdout.split('\n').length).toBeGreaterThan(2);

    const status = await cli('status', id, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: 'completed', result: expect.any(Object) });
  }, 60_000);

  it('submits without waiting, then cancels; bad input and unknown tasks exit 1 with the reason', async () => {
    const big: CreateTaskDto = {
      ...EXAMPLE_TASK,
      data_sources: [{ id: 'big', type: DataSourceType.API, url: 'x', simulation: { records: 3000, latency_ms: 10 } }],
    };
    const submitted = await cli('submit', taskFile('big.json', big), '--no-wait');
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const cancelled = await cli('cancel', id);
    expect(cancelled).toMatchObject({ code: 0 });
    expect(cancelled.stdout).toMatch(/^status +cancelled$/m);

    const again = await cli('cancel', id);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^dataproc: 409: Task .* has already ended with status cancelled/);
    const invalid = await cli(
      'submit',
      taskFile('bad.json', { ...EXAMPLE_TASK, dimensions: [{ ...EXAMPLE_TASK.dimensions[0], threshold: 2 }] }),
      '--no-wait',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^dataproc: 400: .*dimensions/);
    expect((await cli('status', '00000000-0000-4000-8000-000000000000')).stderr).toMatch(/404/);
  }, 60_000);

  it('lists tasks newest first by status and label, page by page, and retries an ended task', async () => {
    const label = `cli-${Date.now()}`;
    const labelled = taskFile('labelled.json', { ...EXAMPLE_TASK, labels: { run: label } });
    const first = /^task +(\S+)$/m.exec((await cli('submit', labelled, '--interval', '100')).stdout)?.[1] ?? '';
    const second = /^task +(\S+)$/m.exec((await cli('submit', labelled, '--interval', '100')).stdout)?.[1] ?? '';

    const listed = await cli('list', '--label', `run:${label}`, '--status', 'completed,completed_with_errors');
    expect(listed.code).toBe(0);
    const rows = listed.stdout.trim().split('\n');
    expect(rows[0].split(/ +/)).toEqual(['id', 'status', 'stage', 'progress', 'created']);
    // Newest first, each as GET /tasks shows it.
    const page = (await system.request('GET', `/api/v1/tasks?label=run:${label}`)).body;
    expect(rows.slice(1).map((row) => row.split(/ +/)[0])).toEqual([second, first]);
    expect(rows.slice(1).map((row) => row.split(/ +/)[1])).toEqual(page.items.map((task: any) => task.status));
    expect(rows[1]).toContain('100%');
    expect(await cli('list', '--label', `run:${label}`, '--status', 'failed')).toMatchObject({
      code: 0,
      stdout: 'id  status  stage  progress  created\n',
    });

    // One a page: the first page names the cursor of the next, which holds the older task.
    const one = await cli('list', '--label', `run:${label}`, '--limit', '1');
    const cursor = /^more: --cursor (\S+)$/m.exec(one.stdout)?.[1] ?? '';
    expect(one.stdout).toContain(second);
    const next = await cli('list', '--label', `run:${label}`, '--limit', '1', '--cursor', cursor);
    expect(next.stdout).toContain(first);
    expect(next.stdout).not.toMatch(/^more:/m);

    const retried = await cli('retry', first);
    expect(retried.code).toBe(0);
    const copy = retried.stdout.trim();
    expect(copy).toMatch(/^[0-9a-f-]{36}$/);
    const task = await system.waitForEnd(copy, 30_000);
    expect(task).toMatchObject({ retry_of: first, labels: { run: label }, status: 'completed' });
    expect((await cli('list', '--label', `run:${label}`)).stdout.split('\n')[1]).toContain(copy);

    const bad = await cli('list', '--status', 'sleeping');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dataproc: 400: .*status/);
    const unknown = await cli('retry', '00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^dataproc: 404/);
  }, 90_000);

  it('shows the queues, cleans finished jobs and retries failed ones (operators, on Redis)', async () => {
    const queues = await cli('queues');
    expect(queues.code).toBe(0);
    const rows = queues.stdout.trim().split('\n');
    expect(rows[0].split(/ +/)).toEqual(['queue', 'waiting', 'active', 'delayed', 'paused', 'completed', 'failed']);
    const completed = (name: string, text: string): number =>
      Number(
        text
          .split('\n')
          .find((row) => row.startsWith(`${name} `))
          ?.split(/ +/)[5],
      );
    expect(rows.slice(1).map((row) => row.split(/ +/)[0])).toEqual(Object.values(QueueName));
    expect(completed('collect', queues.stdout)).toBeGreaterThan(0);

    const cleaned = await cli('clean', '--grace', '0');
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toMatch(/^collect +[1-9]\d* +\d+$/m);
    expect(completed('collect', (await cli('queues')).stdout)).toBe(0);

    // A failed job on the system's generate queue, of a name no worker handles.
    const queue = new Bull(QueueName.GENERATE, {
      prefix: system.env.QUEUE_PREFIX,
      redis: { host: system.env.REDIS_HOST ?? '127.0.0.1', port: Number(system.env.REDIS_PORT ?? 6379) },
    });
    try {
      // The result-generator has no handler for this job name, so it fails the job itself (one attempt).
      const job = await queue.add('cli-e2e-orphan', { taskId: 'none' }, { attempts: 1 });
      const deadline = Date.now() + 20_000;
      while ((await queue.getFailedCount()) < 1 && Date.now() < deadline) await delay(100);
      expect(await queue.getFailedCount()).toBe(1);
      const retried = await cli('retry-failed', QueueName.GENERATE);
      expect(retried).toMatchObject({ code: 0, stdout: `1 failed job(s) of ${QueueName.GENERATE} queued again\n` });
      await job.remove().catch(() => undefined);
    } finally {
      await queue.close();
    }
    const unknown = await cli('retry-failed', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown queue "nope"; the queues are collect, evaluate, generate/);
  }, 60_000);
});
