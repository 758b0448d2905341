import fc from 'fast-check';
import { mapWithConcurrency } from '@app/common';
import type { DataSource } from 'typeorm';
import { EXAMPLE_TASK } from '@app/contracts';
import { deleteTasks, openTestDataSource } from '../support/database';
import { deleteKeys, openTestRedis } from '../support/redis';
import { anyText, generatedTask, mutated } from '../support/task-arbitraries';
import { TestSystem } from './support/test-system';

/** Generated requests per run (FUZZ_RUNS overrides, e.g. for a longer hunt), in batches sent a few at a time. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const BATCH = 50;
const IN_FLIGHT = 8;

const body: fc.Arbitrary<string | undefined> = fc.oneof(
  mutated(EXAMPLE_TASK).map((value) => JSON.stringify(value)),
  generatedTask.map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  anyText,
  fc.constant(JSON.stringify(EXAMPLE_TASK)),
  fc.constant(undefined),
);

const contentType = fc.option(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/vnd.api+json',
    'application/merge-patch+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json; charset=latin1',
    'garbage',
  ),
  { nil: undefined },
);

const id = fc.oneof(
  fc.uuid(),
  anyText.filter((text) => text.length > 0),
);
const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.string({ maxLength: 8 }), anyText, { maxKeys: 3 }).map((entries) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(entries)) params.append(key, value.replace(/[\ud800-\udfff]/g, '?'));
    return `?${params.toString()}`;
  }),
);
const path = (segment: string): string => encodeURIComponent(segment.replace(/[\ud800-\udfff]/g, '?'));

const request = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('submit' as const), body, contentType }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), id, query }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('export' as const), id, query }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), id, body, contentType }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), query }) },
);

type GeneratedRequest = typeof request extends fc.Arbitrary<infer R> ? R : never;

/**
 * The gateway alone, sent generated requests (fast-check): submissions with bodies from the example
 * mutated at any depth, generated tasks, arbitrary JSON and text (NUL, lone surrogates), under every
 * content type; reads, exports, cancels and lists with generated ids and query strings. No answer is
 * a 5xx, and a submission stores exactly one task when it is accepted (202) and nothing otherwise.
 */
describe('generated requests (property-based)', () => {
  let system: TestSystem;
  let db: DataSource;
  const accepted: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    system = await TestSystem.start({
      replicas: { collector: 0, evaluator: 0, 'result-generator': 0 },
      // Accepted tasks stay pending (no workers): the service-wide cap must not turn them into 429s.
      env: { MAX_ACTIVE_TASKS: '10000000' },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    if (db) {
      await deleteTasks(db, accepted);
      await db.destroy();
    }
    if (system) {
      // The accepted tasks' collect jobs, under this run's own prefix.
      const redis = openTestRedis();
      await deleteKeys(redis, `${system.env.QUEUE_PREFIX}:`);
      await redis.quit();
    }
  }, 60_000);

  const countTasks = async (): Promise<number> => (await db.query('SELECT count(*)::int AS count FROM tasks'))[0].count;

  /** Sends one generated request; its status and, for an accepted submission, the new task's id. */
  async function send(generated: GeneratedRequest) {
    const headers: Record<string, string> =
      'contentType' in generated && generated.contentType ? { 'content-type': generated.contentType } : {};
    const id = 'id' in generated ? path(generated.id) : '';
    const target = {
      submit: ['POST', '/api/v1/tasks'],
      read: ['GET', `/api/v1/tasks/${id}`],
      export: ['GET', `/api/v1/tasks/${id}/export`],
      cancel: ['DELETE', `/api/v1/tasks/${id}`],
      list: ['GET', '/api/v1/tasks'],
    }[generated.kind];
    const response = await fetch(`${system.baseUrl}${target[1]}${'query' in generated ? generated.query : ''}`, {
      method: target[0],
      headers,
      body: 'body' in generated ? generated.body : undefined,
    });
    const text = await response.text();
    const created =
      generated.kind === 'submit' && response.status === 202 ? (JSON.parse(text) as { id: string }).id : null;
    return { key: `${generated.kind} ${response.status}`, status: response.status, text, created };
  }

  it(`never answers 5xx, and stores a task exactly when it answers 202 (${RUNS} requests)`, async () => {
    const statuses = new Map<string, number>();
    // Batches of requests sent a few at a time: the tasks table grows by exactly the accepted
    // submissions of a batch, and each of them is there, so no refused request stored anything.
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        const before = await countTasks();
        const answers = await mapWithConcurrency(batch, IN_FLIGHT, (generated) => send(generated));
        for (const { key } of answers) statuses.set(key, (statuses.get(key) ?? 0) + 1);
        const failed = answers.find((answer) => answer.status >= 500);
        if (failed) throw new Error(`${failed.key}: ${failed.text}`);
        const created = answers.flatMap((answer) => (answer.created ? [answer.created] : []));
        accepted.push(...created);
        expect((await countTasks()) - before).toBe(created.length);
        const found = await db.query('SELECT count(*)::int AS count FROM tasks WHERE id = ANY($1::uuid[])', [created]);
        expect(found[0].count).toBe(created.length);
      }),
      { numRuns: Math.ceil(RUNS / BATCH) },
    );
    console.log(
      `${RUNS} generated requests, by kind and status: ${[...statuses]
        .sort()
        .map(([key, count]) => `${key}: ${count}`)
        .join(', ')}`,
    );
    // The generators reach both sides of the validation.
    expect(statuses.get('submit 202')).toBeGreaterThan(0);
    expect(statuses.get('submit 400')).toBeGreaterThan(0);
  }, 900_000);
});
