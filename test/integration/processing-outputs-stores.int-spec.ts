import { randomUUID } from 'crypto';
import type { DataSource } from 'typeorm';
import type { TaskSpec, TaskResultDto } from '@app/contracts';
import { DataSourceType, RecordEvaluationStatus, TaskStage, TaskStatus } from '@app/contracts';
import { DeliveryStatus } from '@app/delivery';
import type { CollectedRecord } from '@app/persistence';
import {
  CollectionStore,
  EvaluationStore,
  ExportStore,
  GenerationStore,
  OutboxStore,
  TaskRepository,
} from '@app/persistence';
import { deleteTasks, openTestDataSource } from '../support/database';
import { storeSource } from '../support/collect';
import { recordsToEvaluate } from '../support/evaluate';

// The stores' parts for processing chains, analyses and outputs, against the real test database.
describe('processing, analyses and outputs in Postgres', () => {
  let db: DataSource;
  let tasks: TaskRepository;
  let collection: CollectionStore;
  let evaluations: EvaluationStore;
  let generation: GenerationStore;
  let exports: ExportStore;
  let outbox: OutboxStore;
  const created: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    tasks = new TaskRepository(db);
    collection = new CollectionStore(db);
    evaluations = new EvaluationStore(db);
    generation = new GenerationStore(db);
    exports = new ExportStore(db);
    outbox = new OutboxStore(db);
  });

  afterAll(async () => {
    if (!db) return;
    await deleteTasks(db, created);
    await db.destroy();
  });

  async function runningTask(sources: string[], withDimension: boolean): Promise<string> {
    const id = randomUUID();
    created.push(id);
    const spec: TaskSpec = {
      sources: sources.map((source) => ({
        id: source,
        type: DataSourceType.API,
        url: `https://x.test/${source}`,
      })),
      llm: { model: 'm' },
      dimensions: withDimension ? [{ id: 'dim1', name: 'q', threshold: 0.5 }] : [],
    };
    await tasks.create({ id, spec, limits: { softSeconds: 3300, hardSeconds: 3600 } });
    await tasks.start(id);
    return id;
  }

  const settlement = (taskId: string, sourceId: string) => ({ taskId, sourceId, attempts: 1, durationMs: 1 });

  function record(id: string, overrides: Partial<CollectedRecord> = {}): CollectedRecord {
    return {
      id,
      content: `content ${id}`,
      fields: { n: 1 },
      status: RecordEvaluationStatus.PENDING,
      error: null,
      dedupeKey: null,
      ...overrides,
    };
  }

  describe('collection of chained records', () => {
    it('counts refused records as failed and duplicates (by key, across sources) and filtered ones as dropped', async () => {
      const id = await runningTask(['a', 'b'], true);
      expect(
        await storeSource(
          collection,
          settlement(id, 'a'),
          [
            record('a1', { dedupeKey: 'k1' }),
            record('a2', { dedupeKey: 'k2' }),
            record('a3', { dedupeKey: 'k1' }),
            record('a4', { status: RecordEvaluationStatus.FAILED, error: 'step 0 (validate): n is required' }),
          ],
          2,
        ),
      ).toBe(true);
      await storeSource(collection, settlement(id, 'b'), [
        record('b1', { dedupeKey: 'k2' }),
        record('b2', { dedupeKey: 'k3' }),
      ]);

      expect(await tasks.findById(id)).toMatchObject({ recordsTotal: 4, recordsFailed: 1, recordsDropped: 4 });
      const state = await collection.finishCollection(id, 2);
      // Only the three records left for the LLM are cut into chunks.
      expect(state).toMatchObject({ stage: TaskStage.EVALUATE, chunksTotal: 2 });
      const chunks = [
        ...(await recordsToEvaluate(evaluations, id, 0)),
        ...(await recordsToEvaluate(evaluations, id, 1)),
      ];
      expect(chunks.map((entry) => entry.recordId)).toEqual(['a1', 'a2', 'b2']);
      expect(await tasks.failures(id, 10)).toEqual([
        { stage: 'collect', sourceId: 'a', recordId: 'a4', message: 'step 0 (validate): n is required' },
      ]);
    });

    it('moves a task without dimensions straight to generate, and aggregates see only what left the chain', async () => {
      const id = await runningTask(['a'], false);
      await storeSource(collection, settlement(id, 'a'), [
        record('a1', { status: RecordEvaluationStatus.PROCESSED, fields: { n: 2 } }),
        record('a2', { status: RecordEvaluationStatus.FAILED, error: 'refused', fields: { n: 100 } }),
        record('a3', { status: RecordEvaluationStatus.PROCESSED, fields: { n: 3 } }),
      ]);
      expect(await collection.finishCollection(id, 10)).toMatchObject({ stage: TaskStage.GENERATE, chunksTotal: 0 });
      const outputs: Record<string, unknown>[] = [];
      for await (const fields of generation.chainOutputs(id)) outputs.push(fields);
      expect(outputs).toEqual([{ n: 2 }, { n: 3 }]);
    });
  });

  it('stores each answer and streams a dimension’s answers in collection order', async () => {
    const id = await runningTask(['a'], true);
    await storeSource(collection, settlement(id, 'a'), [record('a1'), record('a2'), record('a3')]);
    await collection.finishCollection(id, 10);
    await evaluations.saveChunk(
      id,
      0,
      [
        {
          sourceId: 'a',
          recordId: 'a1',
          scores: { dim1: 0.9 },
          analyses: { dim1: { label: 'positive', confidence: 0.9 } },
        },
        { sourceId: 'a', recordId: 'a2', error: 'bad answer' },
        { sourceId: 'a', recordId: 'a3', scores: {}, analyses: { dim1: { label: 'negative', confidence: 0.4 } } },
      ],
      {},
    );
    const answers: unknown[] = [];
    for await (const answer of generation.analyses(id, 'dim1')) answers.push(answer);
    expect(answers).toEqual([
      { label: 'positive', confidence: 0.9 },
      { label: 'negative', confidence: 0.4 },
    ]);
  });

  it('exports every record in collection order across pages, with field names for the CSV header', async () => {
    const id = await runningTask(['a', 'b'], true);
    const many = Array.from({ length: 2_500 }, (_, i) => record(`a${i}`, { fields: { n: i, [`only${i % 3}`]: true } }));
    await storeSource(collection, settlement(id, 'a'), many);
    await storeSource(collection, settlement(id, 'b'), [record('b0', { fields: { z: 'last' } })]);
    await collection.finishCollection(id, 5_000);
    await evaluations.saveChunk(
      id,
      0,
      [
        { sourceId: 'a', recordId: 'a1', scores: { dim1: 0.7 }, analyses: { dim1: { score: 0.7 } } },
        ...many
          .filter((entry) => entry.id !== 'a1')
          .map((entry) => ({ sourceId: 'a', recordId: entry.id, error: 'x' })),
        { sourceId: 'b', recordId: 'b0', scores: { dim1: 0.2 }, analyses: { dim1: { score: 0.2 } } },
      ],
      {},
    );

    expect(await exports.fieldNames(id)).toEqual(['n', 'only0', 'only1', 'only2', 'z']);
    const seen: string[] = [];
    const picked: Record<string, unknown> = {};
    for await (const entry of exports.records(id, [{ id: 'dim1', threshold: 0.5 }])) {
      seen.push(`${entry.source_id}/${entry.record_id}`);
      if (entry.record_id === 'a1' || entry.record_id === 'b0' || entry.record_id === 'a2')
        picked[entry.record_id] = entry;
    }
    expect(seen).toEqual([...many.map((entry) => `a/${entry.id}`), 'b/b0']);
    expect(picked).toEqual({
      a1: expect.objectContaining({
        status: 'evaluated',
        fields: { n: 1, only1: true },
        dimensions: { dim1: { score: 0.7, passed: true, analysis: { score: 0.7 } } },
      }),
      a2: expect.objectContaining({
        status: 'failed',
        error: 'x',
        dimensions: { dim1: { score: null, passed: null, analysis: null } },
      }),
      b0: expect.objectContaining({ dimensions: { dim1: { score: 0.2, passed: false, analysis: { score: 0.2 } } } }),
    });
    // A number without a threshold (a sentiment's confidence) passes, as in the result.
    const withoutThreshold: unknown[] = [];
    for await (const entry of exports.records(id, [{ id: 'dim1' }])) {
      if (entry.record_id === 'b0' || entry.record_id === 'a2') withoutThreshold.push(entry.dimensions.dim1.passed);
    }
    expect(withoutThreshold).toEqual([null, true]);
  });

  describe('the delivery outbox', () => {
    const result: TaskResultDto = {
      dimensions: [],
      passed_all_dimensions: 0,
      records_evaluated: 0,
      records_failed: 0,
      records_dropped: 0,
      sources_failed: 0,
      generated_at: new Date().toISOString(),
    };

    async function completedWithDeliveries(): Promise<string> {
      const id = await runningTask(['a'], false);
      await storeSource(collection, settlement(id, 'a'), [record('a1', { status: RecordEvaluationStatus.PROCESSED })]);
      await collection.finishCollection(id, 10);
      const deliveries = [
        { key: 'output:0', kind: 'output.export', spec: { url: 'http://x.test' } },
        { key: 'output:1', kind: 'output.email', spec: { to: ['a@x.test'] } },
      ];
      expect(await generation.complete(id, result, deliveries)).toBe(TaskStatus.COMPLETED);
      // A second completion (a re-run) stores nothing more.
      expect(await generation.complete(id, result, deliveries)).toBeUndefined();
      return id;
    }

    it('queues the deliveries with the result, once', async () => {
      const id = await completedWithDeliveries();
      expect((await outbox.forTask(id)).map((entry) => [entry.key, entry.kind, entry.status, entry.attempts])).toEqual([
        ['output:0', 'output.export', DeliveryStatus.PENDING, 0],
        ['output:1', 'output.email', DeliveryStatus.PENDING, 0],
      ]);
    });

    it('claims a due delivery once, and again only after its lease ran out; records each outcome', async () => {
      const id = await completedWithDeliveries();
      const mine = async (claimed: Promise<{ taskId: string | null; id: string; kind: string; attempts: number }[]>) =>
        (await claimed).filter((entry) => entry.taskId === id);

      const [first, second] = await Promise.all([
        mine(outbox.claimDue(100, 60_000)),
        mine(outbox.claimDue(100, 60_000)),
      ]);
      expect([...first, ...second].map((entry) => entry.kind).sort()).toEqual(['output.email', 'output.export']);
      expect([...first, ...second].every((entry) => entry.attempts === 1)).toBe(true);
      expect(await mine(outbox.claimDue(100, 60_000))).toEqual([]);

      const exported = [...first, ...second].find((entry) => entry.kind === 'output.export')!;
      const emailed = [...first, ...second].find((entry) => entry.kind === 'output.email')!;
      await outbox.markDelivered(exported.id, { httpStatus: 204 });
      await outbox.markAttemptFailed(emailed.id, 'SMTP: try later', new Date(Date.now() - 1), {});
      const again = await mine(outbox.claimDue(100, 0));
      expect(again.map((entry) => [entry.kind, entry.attempts])).toEqual([['output.email', 2]]);
      // Its lease of 0 s has run out: another dispatcher may take it over.
      expect((await mine(outbox.claimDue(100, 60_000))).map((entry) => entry.attempts)).toEqual([3]);
      await outbox.markAttemptFailed(emailed.id, 'SMTP: refused', null, {});

      const states = await outbox.forTask(id);
      expect(
        states.map((entry) => [entry.key, entry.status, entry.attempts, entry.lastError, entry.lastHttpStatus]),
      ).toEqual([
        ['output:0', DeliveryStatus.DELIVERED, 1, null, 204],
        ['output:1', DeliveryStatus.FAILED, 3, 'SMTP: refused', null],
      ]);
      expect(states[0].deliveredAt).toBeInstanceOf(Date);
    });
  });
});
