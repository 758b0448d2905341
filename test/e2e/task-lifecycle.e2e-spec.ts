import type { CreateTaskDto } from '@app/contracts';
import { EXAMPLE_TASK } from '@app/contracts';
import { assertResultMatches, expectedRecords } from './support/expected-result';
import { AppProcess, delay, TestSystem } from './support/test-system';
import { openTestDataSource } from '../support/database';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';

const SEED = 42;
const RECORDS_PER_SOURCE = 25;

describe('task lifecycle (four apps as processes, real Redis and Postgres)', () => {
  let system: TestSystem;
  let db: DataSource;

  beforeAll(async () => {
    system = await TestSystem.start({
      env: { SIMULATION_SEED: String(SEED), SIM_SOURCE_RECORDS: String(RECORDS_PER_SOURCE) },
    });
    db = await openTestDataSource();
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await db?.destroy();
  }, 30_000);

  it('runs the design-card example to a complete, correct result', async () => {
    const startedAt = Date.now();
    const submitted = await system.request('POST', '/api/v1/tasks', EXAMPLE_TASK);
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('pending');
    expect(submitted.headers.get('location')).toBe(`/api/v1/tasks/${submitted.body.id}`);

    const task = await system.waitForEnd(submitted.body.id, 30_000);
    const wallMs = Date.now() - startedAt;
    process.stdout.write(`design-card example: ${task.status} in ${wallMs} ms wall time\n`);

    expect(task.status).toBe('completed');
    expect(task.error).toBeNull();
    expect(task.errors).toEqual([]);
    expect(task.progress).toEqual({
      sources_total: 2,
      sources_collected: 2,
      sources_failed: 0,
      records_total: 50,
      records_evaluated: 50,
      records_failed: 0,
      records_dropped: 0,
      dimensions_total: 2,
      dimensions_done: 2,
    });
    expect(task.started_at).not.toBeNull();
    expect(new Date(task.finished_at).getTime()).toBeGreaterThanOrEqual(new Date(task.started_at).getTime());
    expect(task.request).toEqual(EXAMPLE_TASK);
    assertResultMatches(
      EXAMPLE_TASK,
      await system.fullResult(task.id),
      await expectedRecords(EXAMPLE_TASK, SEED, RECORDS_PER_SOURCE),
    );
    for (const dimension of task.result.dimensions) expect(dimension.summary.length).toBeGreaterThan(20);
  }, 60_000);

  it('records a failing source and finishes the task with errors, distinguishable from a clean success', async () => {
    const spec: CreateTaskDto = {
      ...EXAMPLE_TASK,
      data_sources: [
        ...EXAMPLE_TASK.data_sources,
        {
          id: 'broken',
          type: EXAMPLE_TASK.data_sources[1].type,
          url: 'x',
          simulation: { failure_rate: 1, latency_ms: 5 },
        },
      ],
    };
    const task = await system.waitForEnd(await system.submit(spec), 30_000);
    expect(task.status).toBe('completed_with_errors');
    expect(task.progress.sources_failed).toBe(1);
    expect(task.progress.sources_collected).toBe(2);
    expect(task.errors).toEqual([
      expect.objectContaining({
        stage: 'collect',
        source_id: 'broken',
        message: expect.stringMatching(/broken failed after 4 attempt/),
      }),
    ]);
    expect(task.result.sources_failed).toBe(1);
    expect(task.result.records_evaluated).toBe(50);
  }, 60_000);

  it('fails a task whose every source fails', async () => {
    const spec: CreateTaskDto = {
      ...EXAMPLE_TASK,
      data_sources: [
        {
          id: 'down',
          type: EXAMPLE_TASK.data_sources[1].type,
          url: 'x',
          simulation: { failure_rate: 1, latency_ms: 1 },
        },
      ],
    };
    const task = await system.waitForEnd(await system.submit(spec), 30_000);
    expect(task.status).toBe('failed');
    expect(task.error).toBe('every data source failed');
    expect(task.result).toBeUndefined();
  }, 60_000);

  it('cancels a running task: it stops, stays cancelled and gets no result', async () => {
    const spec: CreateTaskDto = {
      ...EXAMPLE_TASK,
      data_sources: [
        { id: 'big', type: EXAMPLE_TASK.data_sources[1].type, url: 'x', simulation: { records: 3000, latency_ms: 10 } },
      ],
    };
    const id = await system.submit(spec);
    await system.waitForTask(id, (task) => task.progress.records_evaluated > 0, 30_000);

    const cancelledAt = Date.now();
    const cancelled = await system.request('DELETE', `/api/v1/tasks/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const evaluatedAtCancel = cancelled.body.progress.records_evaluated;
    // The evaluator drops the task's jobs in hand mid-call, on the broadcast.
    const [evaluator] = system.replicas('evaluator');
    await evaluator.waitForLine(/stopped: task cancelled/, 5_000, {
      task_id: id,
      queue: 'evaluate',
      event: 'cancelled',
    });
    process.stdout.write(
      `cancel: evaluator stopped the task's jobs in hand ${Date.now() - cancelledAt} ms after DELETE\n`,
    );

    await delay(3_000);
    const later = await system.task(id);
    expect(later.status).toBe('cancelled');
    expect(later.result).toBeUndefined();
    // Chunks in flight when the cancel arrived may still be counted; nothing beyond them.
    expect(later.progress.records_evaluated).toBeLessThan(evaluatedAtCancel + 25 * 4 * 2);
    expect(later.progress.records_evaluated).toBeLessThan(3000);
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM task_results WHERE task_id = $1', [id]);
    expect(count).toBe(0);

    const again = await system.request('DELETE', `/api/v1/tasks/${id}`);
    expect(again.status).toBe(409);
    expect(again.body.status).toBe('cancelled');
  }, 60_000);

  it('answers 409 with the status when cancelling a finished task, 404 for an unknown one', async () => {
    const id = await system.submit(EXAMPLE_TASK);
    await system.waitForEnd(id, 30_000);
    const conflict = await system.request('DELETE', `/api/v1/tasks/${id}`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.status).toBe('completed');

    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await system.request('DELETE', `/api/v1/tasks/${unknown}`)).status).toBe(404);
    expect((await system.request('GET', `/api/v1/tasks/${unknown}`)).status).toBe(404);
    expect((await system.request('GET', '/api/v1/tasks/not-a-uuid')).status).toBe(400);
  }, 60_000);

  describe('bad input gets a clear error and stores nothing', () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['malformed JSON', '{"data_sources": [', 400, /JSON/],
      ['a JSON array', '[1, 2]', 400, /must be a JSON object/],
      ['an unknown field', { ...EXAMPLE_TASK, colour: 'blue' }, 400, /colour: property colour should not exist/],
      [
        'a threshold above 1',
        { ...EXAMPLE_TASK, dimensions: [{ id: 'd', name: 'n', threshold: 1.5 }] },
        400,
        /dimensions\[0\]\.threshold/,
      ],
      [
        'a threshold given as a string',
        { ...EXAMPLE_TASK, dimensions: [{ id: 'd', name: 'n', threshold: '0.5' }] },
        400,
        /dimensions\[0\]\.threshold/,
      ],
      ['no data sources', { ...EXAMPLE_TASK, data_sources: [] }, 400, /data_sources/],
      [
        'duplicate source ids',
        { ...EXAMPLE_TASK, data_sources: [EXAMPLE_TASK.data_sources[0], EXAMPLE_TASK.data_sources[0]] },
        400,
        /unique ids/,
      ],
      [
        'a database source without connection',
        { ...EXAMPLE_TASK, data_sources: [{ id: 'db', type: 'database' }] },
        400,
        /data_sources\[0\]\.connection/,
      ],
      [
        'an unknown source type',
        { ...EXAMPLE_TASK, data_sources: [{ id: 'x', type: 'ftp', url: 'u' }] },
        400,
        /data_sources\[0\]\.type/,
      ],
      [
        'a missing llm_config',
        { data_sources: EXAMPLE_TASK.data_sources, dimensions: EXAMPLE_TASK.dimensions },
        400,
        /llm_config/,
      ],
    ];

    it.each(cases)('%s', async (_name, body, status, message) => {
      const [{ count: before }] = await db.query('SELECT count(*)::int AS count FROM tasks');
      const response = await system.request('POST', '/api/v1/tasks', body);
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body)).toMatch(message);
      const [{ count: after }] = await db.query('SELECT count(*)::int AS count FROM tasks');
      expect(after).toBe(before);
    });
  });

  it('refuses an oversized body with 413 and stores nothing', async () => {
    const [{ count: before }] = await db.query('SELECT count(*)::int AS count FROM tasks');
    const response = await system.postDeclaredLength(
      '/api/v1/tasks',
      2 * 1024 * 1024,
      JSON.stringify(EXAMPLE_TASK).slice(0, 100),
    );
    expect(response.status).toBe(413);
    expect(response.body).toMatch(/too large/);
    const [{ count: after }] = await db.query('SELECT count(*)::int AS count FROM tasks');
    expect(after).toBe(before);
  }, 30_000);

  it('streams progress as server-sent events until the task ends', async () => {
    const spec: CreateTaskDto = {
      ...EXAMPLE_TASK,
      data_sources: [{ id: 'stream', type: EXAMPLE_TASK.data_sources[1].type, url: 'x', simulation: { records: 100 } }],
    };
    const id = await system.submit(spec);
    const response = await fetch(`${system.baseUrl}/api/v1/tasks/${id}/events`);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const stream = await response.text();
    const events = stream
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice('data: '.length)));
    expect(events[0].id).toBe(id);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ id, status: 'completed', progress: { records_total: 100, records_evaluated: 100 } });
    expect(events.some((event) => /chunk \d+: 25 record\(s\) evaluated/.test(event.message ?? ''))).toBe(true);
  }, 60_000);

  it('refuses to start an app with a bad setting, naming it', async () => {
    const app = new AppProcess('collector', 'collector-misconfigured', {
      ...system.env,
      DATABASE_PORT: 'abc',
      COLLECT_MAX_ATTEMPTS: '0',
    });
    expect((await app.exited).code).toBe(1);
    expect(app.output.join('\n')).toMatch(/DATABASE_PORT="abc": .*DATABASE_PORT must be an integer number/);
    expect(app.output.join('\n')).toMatch(/COLLECT_MAX_ATTEMPTS="0": COLLECT_MAX_ATTEMPTS must not be less than 1/);
    // Loading the app's modules takes seconds on a busy machine, before the settings are even read.
  }, 30_000);

  it('serves Swagger UI with the example, and a health check of Postgres and Redis', async () => {
    const docs = await system.request('GET', '/docs');
    expect(docs.status).toBe(200);
    const openApi = await system.request('GET', '/docs-json');
    const body = openApi.body.paths['/api/v1/tasks'].post.requestBody.content['application/json'];
    expect(body.examples.design_card.value).toEqual(EXAMPLE_TASK);
    // The committed contract (docs/openapi.json, written by `npm run openapi`) is the one served.
    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'));
    expect(openApi.body).toEqual(committed);
    const health = await system.request('GET', '/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });
});
