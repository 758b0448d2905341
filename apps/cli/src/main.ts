#!/usr/bin/env node
import 'reflect-metadata';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { ApiClient, ApiError } from './api-client';
import type { TaskPage, TaskView } from './format';
import { ACTIVE, describeTask, percentDone, table } from './format';
import { JOB_STATES, QueueAdmin } from './queue-admin';

/**
 * `dataproc`: the command line of the service. Task commands talk to the gateway's API (DATAPROC_URL,
 * DATAPROC_API_KEY); queue commands talk to the deployment's Redis directly, with the apps' own
 * settings (REDIS_*, QUEUE_PREFIX).
 */
const program = new Command('dataproc')
  .description('Submit and follow data-processing tasks; inspect and tidy the queues')
  .addOption(new Option('--url <url>', 'gateway base URL').env('DATAPROC_URL').default('http://localhost:3000'))
  .addOption(new Option('--api-key <key>', 'API key, when the gateway has API_KEYS').env('DATAPROC_API_KEY'))
  .showHelpAfterError();

function api(): ApiClient {
  const { url, apiKey } = program.opts<{ url: string; apiKey?: string }>();
  return new ApiClient(url, apiKey);
}

async function withQueues<T>(work: (admin: QueueAdmin) => Promise<T>): Promise<T> {
  const options = appOptions(loadConfig(BaseConfig));
  const admin = new QueueAdmin(options.redis, options.queues.prefix);
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows a task until it ends, with a progress bar on stderr (stdout keeps only the outcome). */
async function follow(client: ApiClient, id: string, intervalMs: number): Promise<TaskView> {
  const bar = new SingleBar(
    {
      format: '{bar} {percentage}% | {status} {stage} | records {records}',
      stream: process.stderr,
      hideCursor: true,
      // Piped into a file or CI log, a line per reading instead of redrawing one.
      noTTYOutput: true,
      notTTYSchedule: intervalMs,
    },
    { format: '', barCompleteChar: '#', barIncompleteChar: '.' },
  );
  let task = (await client.expect('GET', `/tasks/${id}`, [200])).body as TaskView;
  const payload = (view: TaskView) => ({
    status: view.status,
    stage: view.stage ?? '',
    records: `${view.progress.records_evaluated}/${view.progress.records_total}`,
  });
  bar.start(100, percentDone(task), payload(task));
  while (ACTIVE.has(task.status)) {
    await sleep(intervalMs);
    task = (await client.expect('GET', `/tasks/${id}`, [200])).body as TaskView;
    bar.update(percentDone(task), payload(task));
  }
  bar.stop();
  return task;
}

program
  .command('submit')
  .description('submit the task in FILE (JSON, as POST /api/v1/tasks takes it) and follow it until it ends')
  .argument('<file>', 'task JSON file, - for stdin')
  .option('--no-wait', 'print the task id and return at once')
  .option('--interval <ms>', 'how often to read the progress', (value) => Number(value), 500)
  .action(async (file: string, options: { wait: boolean; interval: number }) => {
    const body = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8')) as unknown;
    const client = api();
    const accepted = (await client.expect('POST', '/tasks', [202], body)).body as { id: string };
    if (!options.wait) return print(accepted.id);
    const task = await follow(client, accepted.id, options.interval);
    print(describeTask(task));
    // A task that did not complete is a failed command, so scripts can tell.
    if (task.status !== 'completed' && task.status !== 'completed_with_errors') process.exitCode = 1;
  });

program
  .command('status')
  .description("a task's status and progress")
  .argument('<id>')
  .option('--json', 'the whole task as the API returns it')
  .action(async (id: string, options: { json?: boolean }) => {
    const answer = await api().expect('GET', `/tasks/${id}`, [200]);
    print(options.json ? JSON.stringify(answer.body, null, 2) : describeTask(answer.body as TaskView));
  });

program
  .command('list')
  .description('tasks, newest first (your own, or every one with an admin key)')
  .option('--status <statuses>', 'only tasks with these statuses, comma-separated (e.g. running,failed)')
  .option('--label <key:value>', 'only tasks with this label')
  .option('--limit <n>', 'how many, 1-200', (value) => Number(value), 20)
  .option('--cursor <cursor>', 'the page after this one (the cursor the previous page printed)')
  .action(async (options: { status?: string; label?: string; limit: number; cursor?: string }) => {
    const query = new URLSearchParams({ limit: String(options.limit) });
    if (options.status) query.set('status', options.status);
    if (options.label) query.set('label', options.label);
    if (options.cursor) query.set('cursor', options.cursor);
    const answer = await api().expect('GET', `/tasks?${query.toString()}`, [200]);
    const page = answer.body as TaskPage;
    print(
      table(
        ['id', 'status', 'stage', 'progress', 'created'],
        page.items.map((task) => [task.id, task.status, task.stage ?? '', `${percentDone(task)}%`, task.created_at]),
      ),
    );
    if (page.next_cursor) print(`more: --cursor ${page.next_cursor}`);
  });

program
  .command('cancel')
  .description('cancel a task')
  .argument('<id>')
  .action(async (id: string) => {
    const answer = await api().expect('DELETE', `/tasks/${id}`, [200]);
    print(describeTask(answer.body as TaskView));
  });

program
  .command('retry')
  .description(
    'run an ended task again: a new task with the same specification (its retry_of names this one); its id is printed',
  )
  .argument('<id>')
  .action(async (id: string) => {
    const answer = await api().expect('POST', `/tasks/${id}/retry`, [202]);
    print((answer.body as { id: string }).id);
  });

program
  .command('export')
  .description("a task's result, to stdout")
  .argument('<id>')
  .addOption(new Option('--format <format>', 'export format').choices(['json', 'ndjson', 'csv']).default('json'))
  .action(async (id: string, options: { format: string }) => {
    const answer = await api().expect('GET', `/tasks/${id}/export?format=${options.format}`, [200]);
    process.stdout.write(answer.text.endsWith('\n') ? answer.text : `${answer.text}\n`);
  });

program
  .command('queues')
  .description('jobs per queue and state (operators; reads Redis)')
  .action(() =>
    withQueues(async (admin) => {
      const rows = (await admin.counts()).map(({ queue, counts }) => [queue, ...JOB_STATES.map((s) => counts[s] ?? 0)]);
      print(table(['queue', ...JOB_STATES], rows));
    }),
  );

program
  .command('clean')
  .description('remove completed and failed jobs older than --grace (operators; the tasks stay in Postgres)')
  .option('--queue <name>', 'only this queue')
  .option('--grace <seconds>', 'keep jobs that finished more recently', (value) => Number(value), 3600)
  .action((options: { queue?: string; grace: number }) =>
    withQueues(async (admin) => {
      const names = options.queue ? [options.queue] : QueueAdmin.names();
      const removed = await admin.clean(names, options.grace * 1000);
      print(
        table(
          ['queue', 'completed removed', 'failed removed'],
          removed.map((r) => [r.queue, r.completed, r.failed]),
        ),
      );
    }),
  );

program
  .command('retry-failed')
  .description("put a queue's failed jobs back to waiting (operators)")
  .argument('<queue>')
  .action((name: string) =>
    withQueues(async (admin) => {
      print(`${await admin.retryFailed(name)} failed job(s) of ${name} queued again`);
    }),
  );

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(
    `dataproc: ${error instanceof ApiError || error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
