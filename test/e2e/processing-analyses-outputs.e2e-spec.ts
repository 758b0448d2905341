import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSourceDto, SourceRecord } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { DataSourceSimulator } from '@app/simulators';
import { readAll } from '../support/collect';
import type { CapturedMail } from '../support/smtp-capture';
import { startSmtpCapture } from '../support/smtp-capture';
import { freePort, TestSystem } from './support/test-system';

const SEED = 42;

/** The records the data-source simulator serves for a source: the same seed and id, the same records. */
async function simulatedRecords(source: DataSourceDto): Promise<SourceRecord[]> {
  const simulator = new DataSourceSimulator({
    seed: SEED,
    recordsPerSource: 25,
    latencyMs: { min: 0, max: 0 },
    failureRate: 0,
  });
  return readAll(
    simulator.read(
      {
        id: source.id,
        type: source.type,
        simulation: { records: source.simulation?.records, failureRate: 0, latencyMs: 0 },
      },
      new AbortController().signal,
    ),
  );
}

function source(id: string, records: number): DataSourceDto {
  return {
    id,
    type: DataSourceType.API,
    url: `https://example.test/${id}`,
    simulation: { records, failure_rate: 0, latency_ms: 5 },
  };
}

/** A webhook receiver: answers 503 to the first `failFirst` posts, then 204; keeps what it received. */
async function webhookReceiver(failFirst: number) {
  const received: { headers: Record<string, string | string[] | undefined>; body: string; status: number }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const status = received.length < failFirst ? 503 : 204;
      received.push({ headers: request.headers, body, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Resident memory of a process, from /proc (Linux), in bytes. */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe('processing chains, LLM analyses and outputs (four apps as processes)', () => {
  let system: TestSystem;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  let mails: CapturedMail[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    mails = smtp.mails;
    const smtpPort = smtp.port;
    system = await TestSystem.start({
      env: {
        SIMULATION_SEED: String(SEED),
        SIM_LLM_FAILURE_RATE: '0',
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        // The webhook receiver is on loopback, which the outbound guard refuses unless allowed.
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        DELIVERY_BACKOFF_BASE_MS: '100',
        DELIVERY_BACKOFF_MAX_MS: '200',
        DELIVERY_POLL_INTERVAL_MS: '100',
        EVALUATE_CHUNK_SIZE: '50',
      },
    });
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await smtp?.close();
  }, 30_000);

  it('lists the presets with their steps', async () => {
    const presets = await system.request('GET', '/api/v1/processing/presets');
    expect(presets.status).toBe(200);
    expect(presets.body.map((preset: any) => preset.name)).toEqual([
      'validation_only',
      'transform_export',
      'enrich_notify',
      'standard',
      'data_chain',
      'math_chain',
      'io_chain',
    ]);
    expect(presets.body.find((preset: any) => preset.name === 'math_chain').steps).toContainEqual({
      type: 'aggregate',
      field: 'value',
      ops: ['sum', 'avg', 'min', 'max', 'count'],
    });
  });

  it('refuses a bad step shape or output with a 400 naming the index and field, storing nothing', async () => {
    const response = await system.request('POST', '/api/v1/tasks', {
      data_sources: [source('s1', 1)],
      processing: {
        steps: [
          { type: 'validate', required: ['value'] },
          { type: 'transform', math: [{ op: 'modulo', field: 'value', value: 2 }] },
        ],
      },
      outputs: [{ type: 'email', to: ['not-an-address'] }],
    });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual([
      {
        field: 'processing.steps[1].math[0].op',
        reasons: ['must be one of add, subtract, multiply, divide, power, round'],
      },
      { field: 'outputs[0].to[0]', reasons: ['must be an e-mail address'] },
    ]);
  });

  it('runs a pure processing task (inline records → validate → transform math → aggregate) to exact aggregates', async () => {
    const inline = (id: string, records: Record<string, unknown>[]): DataSourceDto => ({
      id,
      type: DataSourceType.INLINE,
      records,
      id_field: 'id',
      text_field: 'text',
    });
    const task = {
      data_sources: [
        inline('m1', [
          { id: 'a', text: 'alpha', value: 120.5, category: 'news' },
          { id: 'b', text: 'beta', value: 99.99, category: 'news' },
          { id: 'c', text: 'gamma', value: 250.25, category: 'review' },
          { id: 'd', text: 'delta', value: 300, category: 'faq' },
        ]),
        inline('m2', [
          { id: 'e', text: 'epsilon', value: 100, category: 'review' },
          { id: 'f', text: 'zeta', value: 101.01, category: 'news' },
        ]),
      ],
      processing: {
        steps: [
          { type: 'validate', required: ['value'], types: { value: 'number' }, min: { value: 100 } },
          // Cents as integers: every sum below is exact.
          {
            type: 'transform',
            math: [
              { op: 'multiply', field: 'value', value: 100, into: 'cents' },
              { op: 'round', field: 'cents' },
            ],
          },
          { type: 'filter', all: [{ field: 'category', op: 'ne', value: 'faq' }] },
          { type: 'aggregate', field: 'cents', ops: ['sum', 'min', 'max', 'count'] },
          { type: 'aggregate', field: 'cents', ops: ['count', 'sum'], group_by: 'category' },
        ],
      },
    };
    const done = await system.waitForEnd(await system.submit(task), 30_000);

    // b is refused (below 100), d filtered out (faq); a, c, e and f are aggregated.
    expect(done.status).toBe('completed_with_errors');
    expect(done.progress).toMatchObject({
      records_total: 5,
      records_failed: 1,
      records_dropped: 1,
      records_evaluated: 0,
      dimensions_total: 0,
    });
    expect(done.errors).toEqual([
      { stage: 'collect', source_id: 'm1', record_id: 'b', message: 'step 0 (validate): value must be at least 100' },
    ]);
    expect(done.result.dimensions).toEqual([]);
    expect(done.result.aggregates).toEqual([
      { field: 'cents', values: { sum: 12050 + 25025 + 10000 + 10101, min: 10000, max: 25025, count: 4 } },
      {
        field: 'cents',
        group_by: 'category',
        groups: [
          { key: 'news', count: 2, sum: 12050 + 10101 },
          { key: 'review', count: 2, sum: 25025 + 10000 },
        ],
      },
    ]);
  }, 40_000);

  it('analyses sentiment and errors per record, with exact distributions, exports them and delivers the outputs', async () => {
    const hook = await webhookReceiver(1);
    try {
      // The chain writes a remark per category into each record; the simulated model reads its cue words.
      const remarks: Record<string, string> = {
        news: 'great lesson, thanks; I forgot to carry the fractions',
        review: 'terrible and confusing; miscalculated the percentages',
        report: 'the answer is correct',
        forum: 'slow but helpful; misread the equations',
        faq: 'nothing to say about algebra',
      };
      const sources = [source('a1', 30), source('a2', 20)];
      const task = {
        data_sources: sources,
        llm_config: { model: 'gpt-3.5-turbo', temperature: 0 },
        processing: {
          steps: [
            { type: 'enrich', lookup: [{ field: 'category', table: remarks, into: 'remark' }] },
            { type: 'enrich', llm: { kind: 'topics', into: 'topics', top_k: 2 } },
          ],
        },
        dimensions: [
          { id: 'tone', name: 'Learner sentiment', kind: 'sentiment', threshold: 0.75 },
          { id: 'mistakes', name: 'Mistakes', kind: 'error_analysis' },
        ],
        outputs: [
          { type: 'export', format: 'ndjson', to: 'webhook', url: hook.url },
          { type: 'email', to: ['teacher@example.test'], subject: 'Sentiment and errors' },
        ],
      };
      const id = await system.submit(task);
      const done = await system.waitForEnd(id, 40_000);
      expect(done.status).toBe('completed');

      const records = (await Promise.all(sources.map(simulatedRecords))).flat();
      const byCategory = (category: string) => records.filter((record) => record.fields.category === category).length;
      const [news, review, report, forum, faq] = ['news', 'review', 'report', 'forum', 'faq'].map(byCategory);
      const tone = done.result.dimensions.find((dimension: any) => dimension.dimension_id === 'tone');
      expect(tone.kind).toBe('sentiment');
      expect(tone.analysis.distribution).toEqual({ positive: news, neutral: report + forum + faq, negative: review });
      expect(tone.statistics.count).toBe(records.length);
      const mistakes = done.result.dimensions.find((dimension: any) => dimension.dimension_id === 'mistakes');
      expect(mistakes).toMatchObject({ kind: 'error_analysis', threshold: null, statistics: null, passed_records: [] });
      expect(mistakes.analysis.by_type).toEqual({
        conceptual: faq,
        procedural: 0,
        calculation: review,
        careless: news,
        misreading: forum,
        incomplete: 0,
        none: report,
      });
      const points = [
        { name: 'algebra', count: faq },
        { name: 'equations', count: forum },
        { name: 'fractions', count: news },
        { name: 'general', count: report },
        { name: 'percentages', count: review },
      ]
        .filter((point) => point.count > 0)
        .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
      expect(mistakes.analysis.by_knowledge_point).toEqual(points);

      // The export carries every record with its fields, answers and pass flags; each format says the same.
      const ndjson = await system.request('GET', `/api/v1/tasks/${id}/export?format=ndjson`);
      expect(ndjson.status).toBe(200);
      expect(ndjson.headers.get('content-type')).toContain('application/x-ndjson');
      const lines = (ndjson.body as string)
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => `${line.source_id}/${line.record_id}`)).toEqual(
        records.map((record) => `${String(record.fields.source_id)}/${record.id}`),
      );
      const passing = lines.filter((line) => line.dimensions.tone.passed);
      expect(passing.length).toBe(tone.statistics.passed);
      expect(lines.every((line) => line.dimensions.tone.score === line.dimensions.tone.analysis.confidence)).toBe(true);
      expect(lines[0].fields.remark).toBe(remarks[lines[0].fields.category]);
      // The chain's LLM enrichment is in the fields, as the dimensions saw them.
      for (const line of lines) expect(line.fields.topics.topics.length).toBeGreaterThanOrEqual(1);
      expect(lines.every((line) => line.fields.topics.topics.length <= 2)).toBe(true);
      expect(lines[0].dimensions.mistakes).toMatchObject({
        score: null,
        passed: null,
        analysis: { error_type: expect.any(String) },
      });
      const json = await system.request('GET', `/api/v1/tasks/${id}/export`);
      expect(json.body).toEqual(lines);
      const csv = await system.request('GET', `/api/v1/tasks/${id}/export?format=csv`);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      const [header] = (csv.body as string).split('\r\n');
      expect(header).toBe(
        'source_id,record_id,status,error,content,fields.category,fields.created_at,fields.index,fields.remark,fields.source_id,fields.topics,fields.value,tone.score,tone.passed,tone.analysis,mistakes.score,mistakes.passed,mistakes.analysis',
      );
      expect((await system.request('GET', `/api/v1/tasks/${id}/export?format=xml`)).status).toBe(400);

      // Outputs: the webhook got the export on its second attempt (the first answered 503), the mail arrived.
      const delivered = await system.waitForTask(
        id,
        (current) => current.outputs.every((output: any) => output.status === 'delivered'),
        15_000,
      );
      expect(delivered.outputs).toEqual([
        expect.objectContaining({ output: 0, type: 'export', status: 'delivered', attempts: 2, last_error: null }),
        expect.objectContaining({ output: 1, type: 'email', status: 'delivered', attempts: 1 }),
      ]);
      expect(hook.received.map((post) => post.status)).toEqual([503, 204]);
      expect(hook.received[1].headers).toMatchObject({
        'content-type': 'application/x-ndjson; charset=utf-8',
        'x-dataproc-task-id': id,
        'x-dataproc-event': 'task.export',
      });
      expect(hook.received[1].headers['x-dataproc-delivery-id']).toBe(
        hook.received[0].headers['x-dataproc-delivery-id'],
      );
      expect(hook.received[1].body).toBe(ndjson.body);
      const mail = mails.find((entry) => entry.to.includes('teacher@example.test'));
      // The text is quoted-printable: soft line breaks and "=" escaped.
      const text = mail?.data.replace(/=\r\n/g, '').replace(/=3D/g, '=');
      expect(text).toContain('Subject: Sentiment and errors');
      expect(text).toContain(`Task ${id} ended: completed.`);
      expect(text).toContain('Dimension tone (Learner sentiment, sentiment):');
      expect(text).toContain(`${tone.statistics.passed}/50 passed the threshold 0.75`);
      expect(text).toContain(`Records: GET /api/v1/tasks/${id}/export?format=csv`);
    } finally {
      await hook.close();
    }
  }, 60_000);

  it('streams a 100,000-record CSV export with flat memory', async () => {
    const sources = Array.from({ length: 10 }, (_, index) => source(`big${index}`, 10_000));
    const id = await system.submit({ data_sources: sources });
    const done = await system.waitForEnd(id, 60_000);
    expect(done.status).toBe('completed');
    expect(done.progress.records_total).toBe(100_000);

    // A gateway of its own whose heap is capped well below what 100,000 rows would take held at once
    // (each row's fields alone are an object of six members): the export must stream to finish at all.
    const port = await freePort();
    const gateway = await system.add('gateway', { PORT: String(port), NODE_OPTIONS: '--max-old-space-size=64' });
    const before = residentBytes(gateway.pid!);
    let peak = before;
    let bytes = 0;
    let rows = 0;
    const samples: [number, number][] = [];
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/tasks/${id}/export?format=csv`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      bytes += value.length;
      // No field of these records holds a line break: one per row.
      rows += decoder.decode(value, { stream: true }).match(/\n/g)?.length ?? 0;
      peak = Math.max(peak, residentBytes(gateway.pid!));
      samples.push([bytes, residentBytes(gateway.pid!)]);
    }
    process.stdout.write(
      `100k CSV export: ${(bytes / 1e6).toFixed(1)} MB, gateway RSS ${(before / 1e6).toFixed(0)} → peak ${(peak / 1e6).toFixed(0)} MB\n`,
    );
    const curve = [0.25, 0.5, 0.75, 1].map((share) => samples[Math.ceil(samples.length * share) - 1]);
    process.stdout.write(
      `gateway RSS as the export went: ${curve.map(([at, rss]) => `${(at / 1e6).toFixed(0)} MB sent: ${(rss / 1e6).toFixed(0)} MB`).join(', ')}\n`,
    );
    expect(rows).toBe(100_001);
    expect(bytes).toBeGreaterThan(20e6);
    // Holding the export (or its rows) in memory would grow the process by more than the export's size.
    expect(peak - before).toBeLessThan(bytes);
  }, 120_000);
});
