import { randomUUID } from 'crypto';
import { DataSource } from 'typeorm';
import { appOptions } from '@app/config';
import type { TaskSpec, DimensionSpec, DimensionResultDto, TaskResultDto } from '@app/contracts';
import {
  AnalysisKind,
  DataSourceType,
  NO_USAGE,
  RecordEvaluationStatus,
  TaskPriority,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import type { CollectedRecord, RecordOutcome, ScoreRequest, TaskState } from '@app/persistence';
import {
  CollectionStore,
  dataSourceOptions,
  EvaluationStore,
  GenerationStore,
  runMigrations,
  TaskRepository,
} from '@app/persistence';
import { deleteTasks, ensureTestDatabase, openTestDataSource, testDatabaseSettings } from '../support/database';
import { storeSource } from '../support/collect';
import { recordsToEvaluate } from '../support/evaluate';
import { toScoreStatistics } from '../../apps/result-generator/src/generation/score-statistics';

// The stores against the real test database (schema from the global setup). Every test makes its own
// task ids, so tests never see each other's rows, and the tasks are deleted afterwards.
describe('persistence stores (Postgres)', () => {
  let db: DataSource;
  let tasks: TaskRepository;
  let collection: CollectionStore;
  let evaluations: EvaluationStore;
  let generation: GenerationStore;
  const created: string[] = [];

  beforeAll(async () => {
    db = await openTestDataSource();
    tasks = new TaskRepository(db);
    collection = new CollectionStore(db);
    evaluations = new EvaluationStore(db);
    generation = new GenerationStore(db);
  });

  afterAll(async () => {
    if (!db) return;
    await deleteTasks(db, created);
    await db.destroy();
  });

  it("runs the apps' statements without JIT compilation (ADR 31), on each of three connections held at once", async () => {
    const settings = await Promise.all(Array.from({ length: 3 }, () => db.query<{ jit: string }[]>('SHOW jit')));
    expect(settings.map(([row]) => row.jit)).toEqual(['off', 'off', 'off']);
  });

  // ---------------------------------------------------------------------------------------------
  // fixtures

  const LIMITS = { softSeconds: 3300, hardSeconds: 3600 };

  const DIMENSIONS = [
    { id: 'dim1', name: 'quality', threshold: 0.6 },
    { id: 'dim2', name: 'relevance', threshold: 0.5 },
  ] satisfies DimensionSpec[];

  function spec(sources: readonly string[], dimensions: readonly DimensionSpec[] = DIMENSIONS): TaskSpec {
    return {
      sources: sources.map((id) => ({ id, type: DataSourceType.API, url: `https://example.test/${id}` })),
      llm: { model: 'test-model', temperature: 0 },
      dimensions: [...dimensions],
    };
  }

  async function createTask(
    sources: readonly string[] = ['s1'],
    dimensions?: readonly DimensionSpec[],
  ): Promise<string> {
    const id = randomUUID();
    created.push(id);
    await tasks.create({ id, spec: spec(sources, dimensions), limits: LIMITS });
    return id;
  }

  async function runningTask(
    sources: readonly string[] = ['s1'],
    dimensions?: readonly DimensionSpec[],
  ): Promise<string> {
    const id = await createTask(sources, dimensions);
    await tasks.start(id);
    return id;
  }

  const records = (prefix: string, count: number): CollectedRecord[] =>
    Array.from({ length: count }, (_, i) => ({
      id: `${prefix}-${i}`,
      content: `content ${prefix} ${i}`,
      fields: { index: i },
      status: RecordEvaluationStatus.PENDING,
      error: null,
      dedupeKey: null,
    }));

  const settlement = (taskId: string, sourceId: string) => ({ taskId, sourceId, attempts: 1, durationMs: 12.4 });

  async function taskRow(id: string) {
    const row = await tasks.findById(id);
    if (!row) throw new Error(`task ${id} not found`);
    return row;
  }

  async function count(sql: string, parameters: unknown[]): Promise<number> {
    const [row] = await db.query<{ count: number }[]>(sql, parameters);
    return row.count;
  }

  /** A running task in evaluate: one source per entry of `perSource`, cut into chunks of `chunkSize`. */
  async function taskInEvaluate(
    perSource: Record<string, number>,
    chunkSize: number,
  ): Promise<{ id: string; state: TaskState }> {
    const id = await runningTask(Object.keys(perSource));
    for (const [sourceId, n] of Object.entries(perSource))
      await storeSource(collection, settlement(id, sourceId), records(sourceId, n));
    const state = await collection.finishCollection(id, chunkSize);
    expect(state).toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.EVALUATE });
    return { id, state: state! };
  }

  /** Outcome of every record of the chunk: scores from `score`, or an error when it returns undefined. */
  async function evaluateChunk(
    id: string,
    chunk: number,
    score: (recordId: string) => Record<string, number> | undefined,
  ): Promise<TaskState | undefined> {
    const outcomes: RecordOutcome[] = (await recordsToEvaluate(evaluations, id, chunk)).map(
      ({ sourceId, recordId }) => {
        const scores = score(recordId);
        return scores
          ? { sourceId, recordId, scores, analyses: {} }
          : { sourceId, recordId, error: `no score for ${recordId}` };
      },
    );
    return evaluations.saveChunk(id, chunk, outcomes, {});
  }

  /** A running task in generate, every record evaluated in one chunk with the given scores. */
  async function taskInGenerate(
    perSource: Record<string, number>,
    score: (recordId: string) => Record<string, number> | undefined,
    failedSources: readonly string[] = [],
  ): Promise<string> {
    const id = await runningTask([...Object.keys(perSource), ...failedSources]);
    for (const [sourceId, n] of Object.entries(perSource))
      await storeSource(collection, settlement(id, sourceId), records(sourceId, n));
    for (const sourceId of failedSources) await collection.saveFailed(settlement(id, sourceId), 'source down');
    const total = Object.values(perSource).reduce((sum, n) => sum + n, 0);
    await collection.finishCollection(id, Math.max(total, 1));
    if (total > 0) await evaluateChunk(id, 0, score);
    expect(await tasks.state(id)).toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.GENERATE });
    return id;
  }

  const dimensionResult = (dimensionId: string): DimensionResultDto => ({
    dimension_id: dimensionId,
    name: dimensionId,
    kind: AnalysisKind.SCORE,
    threshold: 0.5,
    statistics: {
      count: 1,
      passed: 1,
      pass_rate: 1,
      mean: 0.9,
      min: 0.9,
      max: 0.9,
      median: 0.9,
      p90: 0.9,
    } as DimensionResultDto['statistics'],
    passed_records: [],
    summary: `summary of ${dimensionId}`,
  });

  const taskResult = (): TaskResultDto => ({
    dimensions: [dimensionResult('dim1')],
    passed_all_dimensions: 1,
    records_evaluated: 1,
    records_failed: 0,
    records_dropped: 0,
    sources_failed: 0,
    generated_at: new Date().toISOString(),
  });

  const resultRows = (id: string) => count('SELECT count(*)::int AS count FROM task_results WHERE task_id = $1', [id]);

  // ---------------------------------------------------------------------------------------------

  describe(TaskRepository.name, () => {
    it('creates a pending task without a stage (not queued yet) with the totals of its spec', async () => {
      const id = await createTask(['s1', 's2', 's3']);
      expect(await taskRow(id)).toMatchObject({ status: TaskStatus.PENDING, stage: null });
      await tasks.markQueued(id);
      const row = await taskRow(id);
      expect(row).toMatchObject({
        status: TaskStatus.PENDING,
        stage: TaskStage.COLLECT,
        sourcesTotal: 3,
        dimensionsTotal: 2,
        sourcesCollected: 0,
        recordsTotal: 0,
        chunksTotal: null,
        chunksDone: 0,
        startedAt: null,
        finishedAt: null,
      });
      expect(row.spec).toEqual(spec(['s1', 's2', 's3']));
      expect(await tasks.state(id)).toEqual({
        id,
        status: TaskStatus.PENDING,
        stage: TaskStage.COLLECT,
        chunksTotal: null,
        chunksDone: 0,
        recordsTotal: 0,
        priority: TaskPriority.NORMAL,
      });
      expect(await tasks.findById(randomUUID())).toBeNull();
    });

    it('start() moves a pending task to running once', async () => {
      const id = await createTask();
      expect(await tasks.start(id)).toMatchObject({ id, status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
      const startedAt = (await taskRow(id)).startedAt;
      expect(startedAt).toBeInstanceOf(Date);

      expect(await tasks.start(id)).toMatchObject({ id, status: TaskStatus.RUNNING });
      expect((await taskRow(id)).startedAt).toEqual(startedAt);
      expect(await tasks.start(randomUUID())).toBeUndefined();
    });

    it('cancel(): an active task is cancelled, an ended one is reported with its status, an unknown one is not found', async () => {
      const pending = await createTask();
      const running = await runningTask();
      expect(await tasks.cancel(pending)).toEqual({ kind: 'cancelled' });
      expect(await tasks.cancel(running)).toEqual({ kind: 'cancelled' });
      for (const id of [pending, running]) {
        const row = await taskRow(id);
        expect(row.status).toBe(TaskStatus.CANCELLED);
        expect(row.finishedAt).toBeInstanceOf(Date);
      }

      expect(await tasks.cancel(running)).toEqual({ kind: 'already-ended', status: TaskStatus.CANCELLED });
      const failed = await runningTask();
      await tasks.fail(failed, 'boom');
      expect(await tasks.cancel(failed)).toEqual({ kind: 'already-ended', status: TaskStatus.FAILED });
      expect((await taskRow(failed)).status).toBe(TaskStatus.FAILED);

      expect(await tasks.cancel(randomUUID())).toEqual({ kind: 'not-found' });
    });

    it('fail() fails an active task once and refuses an ended one', async () => {
      const id = await runningTask();
      expect(await tasks.fail(id, 'first')).toBe(true);
      expect(await taskRow(id)).toMatchObject({ status: TaskStatus.FAILED, error: 'first' });
      expect(await tasks.fail(id, 'second')).toBe(false);
      expect(await taskRow(id)).toMatchObject({ status: TaskStatus.FAILED, error: 'first' });

      const pending = await createTask();
      expect(await tasks.fail(pending, 'x'.repeat(5000))).toBe(true);
      expect((await taskRow(pending)).error).toHaveLength(2000);

      const completed = await taskInGenerate({ s1: 1 }, () => ({ dim1: 1, dim2: 1 }));
      await generation.complete(completed, taskResult());
      expect(await tasks.fail(completed, 'late')).toBe(false);
      expect(await taskRow(completed)).toMatchObject({ status: TaskStatus.COMPLETED, error: null });

      expect(await tasks.fail(randomUUID(), 'unknown')).toBe(false);
    });

    describe('after cancel nothing moves the task', () => {
      it('start() and fail() leave it cancelled', async () => {
        const id = await createTask();
        await tasks.cancel(id);
        expect(await tasks.start(id)).toMatchObject({ status: TaskStatus.CANCELLED });
        expect(await tasks.fail(id, 'late failure')).toBe(false);
        expect(await taskRow(id)).toMatchObject({ status: TaskStatus.CANCELLED, startedAt: null, error: null });
      });

      it('CollectionStore.finishCollection leaves it cancelled in collect', async () => {
        const id = await runningTask(['s1', 's2']);
        await storeSource(collection, settlement(id, 's1'), records('s1', 3));
        await tasks.cancel(id);
        // A source that arrives after the cancel is not stored and changes no figure.
        expect(await storeSource(collection, settlement(id, 's2'), records('s2', 3))).toBe(false);
        expect(await collection.saveFailed(settlement(id, 's2'), 'late')).toBe(false);
        expect(await taskRow(id)).toMatchObject({ sourcesCollected: 1, sourcesFailed: 0, recordsTotal: 3 });
        expect(await count('SELECT count(*)::int AS count FROM task_records WHERE task_id = $1', [id])).toBe(3);
        expect(await collection.finishCollection(id, 2)).toMatchObject({
          status: TaskStatus.CANCELLED,
          stage: TaskStage.COLLECT,
          chunksTotal: null,
        });
        // No chunks were cut: every record is still in the chunk it was stored in (0, until the cut).
        expect(
          await count('SELECT count(*)::int AS count FROM task_records WHERE task_id = $1 AND chunk <> 0', [id]),
        ).toBe(0);

        const allFailed = await runningTask(['s1']);
        await collection.saveFailed(settlement(allFailed, 's1'), 'down');
        await tasks.cancel(allFailed);
        expect(await collection.finishCollection(allFailed, 2)).toMatchObject({
          status: TaskStatus.CANCELLED,
          stage: TaskStage.COLLECT,
        });
        expect((await taskRow(allFailed)).error).toBeNull();
      });

      it("EvaluationStore.saveChunk's stage move leaves it cancelled in evaluate", async () => {
        const { id } = await taskInEvaluate({ s1: 4 }, 2);
        await evaluateChunk(id, 0, () => ({ dim1: 0.9, dim2: 0.9 }));
        await tasks.cancel(id);
        const after = await evaluateChunk(id, 1, () => ({ dim1: 0.9, dim2: 0.9 }));
        expect(after).toMatchObject({ status: TaskStatus.CANCELLED, stage: TaskStage.EVALUATE, chunksDone: 1 });
        // The late chunk is not counted: the figures stay as they were at the cancel.
        expect(await taskRow(id)).toMatchObject({ recordsEvaluated: 2, chunksDone: 1 });
        expect(await count('SELECT count(*)::int AS count FROM evaluation_chunks WHERE task_id = $1', [id])).toBe(1);
        expect(await taskRow(id)).toMatchObject({
          status: TaskStatus.CANCELLED,
          stage: TaskStage.EVALUATE,
          error: null,
        });

        // Nor does the all-failed branch fail it.
        const { id: failing } = await taskInEvaluate({ s1: 2 }, 2);
        await tasks.cancel(failing);
        expect(await evaluateChunk(failing, 0, () => undefined)).toMatchObject({
          status: TaskStatus.CANCELLED,
          stage: TaskStage.EVALUATE,
        });
        expect(await taskRow(failing)).toMatchObject({ status: TaskStatus.CANCELLED, error: null });
      });

      it('GenerationStore.complete() returns undefined and stores no result', async () => {
        const id = await taskInGenerate({ s1: 2 }, () => ({ dim1: 0.9, dim2: 0.9 }));
        await tasks.cancel(id);
        expect(await generation.complete(id, taskResult())).toBeUndefined();
        expect(await taskRow(id)).toMatchObject({ status: TaskStatus.CANCELLED, stage: TaskStage.GENERATE });
        expect(await resultRows(id)).toBe(0);
        expect(await tasks.result(id)).toBeUndefined();
      });
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe(CollectionStore.name, () => {
    it('settles a source once: a second saveCollected stores and counts nothing', async () => {
      const id = await runningTask(['s1', 's2']);
      expect(await storeSource(collection, settlement(id, 's1'), records('s1', 5))).toBe(true);
      expect(await storeSource(collection, settlement(id, 's1'), records('s1-again', 7))).toBe(false);
      // A settled source cannot be re-settled as failed either.
      expect(await collection.saveFailed(settlement(id, 's1'), 'late failure')).toBe(false);

      expect(await taskRow(id)).toMatchObject({ sourcesCollected: 1, sourcesFailed: 0, recordsTotal: 5 });
      expect(await count('SELECT count(*)::int AS count FROM task_records WHERE task_id = $1', [id])).toBe(5);
      expect((await collection.startCollection(id))?.opening.settled).toEqual(new Set(['s1']));
      const [source] = await db.query<object[]>(
        'SELECT outcome, records, attempts, duration_ms FROM task_sources WHERE task_id = $1',
        [id],
      );
      expect(source).toEqual({ outcome: 'collected', records: 5, attempts: 1, duration_ms: 12 });
    });

    it('settles a concurrently duplicated source once', async () => {
      const id = await runningTask(['s1']);
      const saved = await Promise.all(
        [1, 2, 3].map(() => storeSource(collection, settlement(id, 's1'), records('s1', 20))),
      );
      expect(saved.filter(Boolean)).toHaveLength(1);
      expect(await taskRow(id)).toMatchObject({ sourcesCollected: 1, recordsTotal: 20 });
      expect(await count('SELECT count(*)::int AS count FROM task_records WHERE task_id = $1', [id])).toBe(20);
    });

    it("counts every source of a task settled at once (each waits for the others' lock on the task row)", async () => {
      const sources = ['s1', 's2', 's3', 's4', 's5', 's6'];
      const id = await runningTask(sources);
      const saved = await Promise.all(
        sources.map((sourceId, index) =>
          storeSource(collection, settlement(id, sourceId), records(sourceId, index + 1)),
        ),
      );
      expect(saved).toEqual(sources.map(() => true));
      expect(await taskRow(id)).toMatchObject({ sourcesCollected: 6, recordsTotal: 21, recordsFailed: 0 });
    });

    it('counts a failed source once', async () => {
      const id = await runningTask(['s1', 's2']);
      expect(await collection.saveFailed(settlement(id, 's2'), 'timeout')).toBe(true);
      expect(await collection.saveFailed(settlement(id, 's2'), 'timeout again')).toBe(false);
      expect(await storeSource(collection, settlement(id, 's2'), records('s2', 3))).toBe(false);
      expect(await taskRow(id)).toMatchObject({ sourcesFailed: 1, sourcesCollected: 0, recordsTotal: 0 });
      expect(await tasks.failures(id, 10)).toEqual([
        { stage: 'collect', sourceId: 's2', recordId: null, message: 'timeout' },
      ]);
    });

    it('stores a record id repeated within one batch once', async () => {
      const id = await runningTask(['s1', 's2']);
      const batch = [
        ...records('r', 3),
        { ...records('r', 2)[1], content: 'duplicate' },
        { ...records('r', 1)[0], content: 'duplicate' },
      ];
      expect(await storeSource(collection, settlement(id, 's1'), batch)).toBe(true);
      // The same record id in another source is another record.
      expect(await storeSource(collection, settlement(id, 's2'), records('r', 1))).toBe(true);

      const rows = await db.query<
        {
          source_id: string;
          record_id: string;
          content: string;
        }[]
      >('SELECT source_id, record_id, content FROM task_records WHERE task_id = $1 ORDER BY source_id, position', [id]);
      expect(rows.map((row) => `${row.source_id}/${row.record_id}`)).toEqual(['s1/r-0', 's1/r-1', 's1/r-2', 's2/r-0']);
      expect(rows.every((row) => row.content !== 'duplicate')).toBe(true);
      expect(await taskRow(id)).toMatchObject({ recordsTotal: 4, sourcesCollected: 2 });
      // The source's own figure counts what was stored, like the task's.
      expect(await db.query("SELECT records FROM task_sources WHERE task_id = $1 AND source_id = 's1'", [id])).toEqual([
        { records: 3 },
      ]);
    });

    it('does not finish collection while a source is unsettled', async () => {
      const id = await runningTask(['s1', 's2']);
      await storeSource(collection, settlement(id, 's1'), records('s1', 3));
      expect(await collection.finishCollection(id, 2)).toMatchObject({
        status: TaskStatus.RUNNING,
        stage: TaskStage.COLLECT,
        chunksTotal: null,
      });
    });

    it('fails the task when every source failed', async () => {
      const id = await runningTask(['s1', 's2']);
      await collection.saveFailed(settlement(id, 's1'), 'down');
      await collection.saveFailed(settlement(id, 's2'), 'down');
      expect(await collection.finishCollection(id, 10)).toMatchObject({
        status: TaskStatus.FAILED,
        stage: TaskStage.COLLECT,
      });
      const row = await taskRow(id);
      expect(row).toMatchObject({ status: TaskStatus.FAILED, error: 'every data source failed', chunksTotal: null });
      expect(row.finishedAt).toBeInstanceOf(Date);
    });

    it('cuts the records into evaluate chunks in collection order and moves the task to evaluate', async () => {
      const perSource = { s1: 9, s2: 14, s3: 0 };
      const chunkSize = 5;
      const id = await runningTask([...Object.keys(perSource), 'broken']);
      for (const [sourceId, n] of Object.entries(perSource))
        await storeSource(collection, settlement(id, sourceId), records(sourceId, n));
      await collection.saveFailed(settlement(id, 'broken'), 'down');

      const state = await collection.finishCollection(id, chunkSize);
      const total = 23;
      const chunksTotal = Math.ceil(total / chunkSize);
      expect(state).toEqual({
        id,
        status: TaskStatus.RUNNING,
        stage: TaskStage.EVALUATE,
        chunksTotal,
        chunksDone: 0,
        recordsTotal: total,
        priority: TaskPriority.NORMAL,
      });
      // A second call (a re-run) moves nothing and answers with the same state.
      expect(await collection.finishCollection(id, 2)).toEqual(state);

      const rows = await db.query<
        {
          source_id: string;
          record_id: string;
          chunk: number | null;
        }[]
      >('SELECT source_id, record_id, chunk FROM task_records WHERE task_id = $1 ORDER BY source_id, position', [id]);
      expect(rows).toHaveLength(total);
      expect(rows.every((row) => row.chunk !== null && row.chunk >= 0 && row.chunk < chunksTotal)).toBe(true);
      // In collection order, record i is in chunk floor(i / chunkSize): full chunks, the last one the rest.
      expect(rows.map((row) => row.chunk)).toEqual(rows.map((_, i) => Math.floor(i / chunkSize)));
      const sizes = Array.from({ length: chunksTotal }, (_, chunk) => rows.filter((row) => row.chunk === chunk).length);
      expect(sizes).toEqual([5, 5, 5, 5, 3]);

      const chunk1 = await recordsToEvaluate(evaluations, id, 1);
      expect(chunk1.map((record) => `${record.sourceId}/${record.recordId}`)).toEqual([
        's1/s1-5',
        's1/s1-6',
        's1/s1-7',
        's1/s1-8',
        's2/s2-0',
      ]);
      expect(chunk1[0]).toEqual({ sourceId: 's1', recordId: 's1-5', content: 'content s1 5', fields: { index: 5 } });
    });

    it('moves a task without records straight to generate', async () => {
      const id = await runningTask(['s1', 's2']);
      await storeSource(collection, settlement(id, 's1'), []);
      await collection.saveFailed(settlement(id, 's2'), 'down');
      expect(await collection.finishCollection(id, 10)).toMatchObject({
        status: TaskStatus.RUNNING,
        stage: TaskStage.GENERATE,
        chunksTotal: 0,
        recordsTotal: 0,
      });
    });
    const storedIds = async (taskId: string, sourceId: string): Promise<string[]> =>
      (
        await db.query<{ record_id: string }[]>(
          'SELECT record_id FROM task_records WHERE task_id = $1 AND source_id = $2 ORDER BY position',
          [taskId, sourceId],
        )
      ).map((row) => row.record_id);

    it('stores batches as they come, then settles the source with what was stored', async () => {
      const id = await runningTask(['s1']);
      const all = records('s1', 5);
      expect(await collection.saveBatch(id, 's1', 0, all.slice(0, 3))).toBe(true);
      expect(await collection.saveBatch(id, 's1', 3, all.slice(3))).toBe(true);
      expect(await collection.saveCollected(settlement(id, 's1'), { offered: 5, dropped: 2 })).toEqual({
        records: 5,
        dropped: 2,
      });
      expect(await storedIds(id, 's1')).toEqual(all.map((record) => record.id));
      expect(await taskRow(id)).toMatchObject({ sourcesCollected: 1, recordsTotal: 5, recordsDropped: 2 });
      // Settled: a late batch of a duplicated run stores nothing.
      expect(await collection.saveBatch(id, 's1', 5, records('late', 2))).toBe(false);
      expect(await storedIds(id, 's1')).toHaveLength(5);
    });

    it('settles a source with its last batch in the same statement, counting both what was stored and that batch', async () => {
      const id = await runningTask(['s1', 's2']);
      const all = records('s1', 5);
      all[4] = { ...all[4], status: RecordEvaluationStatus.FAILED, error: 'refused by its chain' };
      expect(await collection.saveBatch(id, 's1', 0, all.slice(0, 3))).toBe(true);
      // The last batch repeats a stored record: left out, and counted as dropped.
      const last = [all[2], all[3], all[4]];
      expect(
        await collection.saveCollected(
          settlement(id, 's1'),
          { offered: 6, dropped: 1 },
          { position: 3, records: last },
        ),
      ).toEqual({ records: 5, dropped: 2 });
      expect(await storedIds(id, 's1')).toEqual(all.map((record) => record.id));
      expect(await taskRow(id)).toMatchObject({
        sourcesCollected: 1,
        recordsTotal: 5,
        recordsFailed: 1,
        recordsDropped: 2,
      });
      // Settled already, or the task ended: the last batch is not stored and nothing is counted.
      const settleWith = (sourceId: string, position: number, batch: CollectedRecord[]) =>
        collection.saveCollected(
          settlement(id, sourceId),
          { offered: batch.length, dropped: 0 },
          { position, records: batch },
        );
      expect(await settleWith('s1', 5, records('late', 1))).toBeUndefined();
      await tasks.cancel(id);
      expect(await settleWith('s2', 0, records('s2', 2))).toBeUndefined();
      expect(await storedIds(id, 's1')).toHaveLength(5);
      expect(await storedIds(id, 's2')).toEqual([]);
      expect(await taskRow(id)).toMatchObject({ sourcesCollected: 1, recordsTotal: 5 });
    });

    it('stores no batch for a task that has ended', async () => {
      const id = await runningTask(['s1']);
      await tasks.cancel(id);
      expect(await collection.saveBatch(id, 's1', 0, records('s1', 3))).toBe(false);
      expect(await storedIds(id, 's1')).toEqual([]);
    });

    it('discards what an unfinished attempt stored, and never a settled source', async () => {
      const id = await runningTask(['s1', 's2']);
      await collection.saveBatch(id, 's1', 0, records('s1', 3));
      await storeSource(collection, settlement(id, 's2'), records('s2', 2));
      await collection.discardUnsettled(id, 's1');
      await collection.discardUnsettled(id, 's2');
      expect(await storedIds(id, 's1')).toEqual([]);
      expect(await storedIds(id, 's2')).toHaveLength(2);
    });

    it('opens a source of a task within its soft limit by discarding what an earlier run left of it', async () => {
      const id = await runningTask(['s1', 's2']);
      await collection.saveBatch(id, 's1', 0, records('s1', 3));
      await storeSource(collection, settlement(id, 's2'), records('s2', 2));
      expect(await collection.openSource(id, 's1')).toBe(true);
      expect(await collection.openSource(id, 's2')).toBe(true);
      expect(await storedIds(id, 's1')).toEqual([]);
      expect(await storedIds(id, 's2')).toHaveLength(2);
      // Past the soft limit nothing is opened, and nothing is dropped.
      await collection.saveBatch(id, 's1', 0, records('s1', 1));
      await db.query('UPDATE tasks SET soft_limited_at = now() WHERE id = $1', [id]);
      expect(await collection.openSource(id, 's1')).toBe(false);
      expect(await storedIds(id, 's1')).toHaveLength(1);
    });

    it("opens a collect job: the settled sources, and every unsettled source's leftovers dropped", async () => {
      const id = await runningTask(['s1', 's2', 's3']);
      await collection.saveBatch(id, 's1', 0, records('s1', 3));
      await collection.saveBatch(id, 's3', 0, records('s3', 1));
      await storeSource(collection, settlement(id, 's2'), records('s2', 2));
      expect((await collection.startCollection(id))?.opening).toEqual({ open: true, settled: new Set(['s2']) });
      expect(await storedIds(id, 's1')).toEqual([]);
      expect(await storedIds(id, 's3')).toEqual([]);
      expect(await storedIds(id, 's2')).toHaveLength(2);
      // Past the soft limit it is not open, and nothing is dropped; a task that is gone is not open either.
      await collection.saveBatch(id, 's1', 0, records('s1', 1));
      await db.query('UPDATE tasks SET soft_limited_at = now() WHERE id = $1', [id]);
      expect((await collection.startCollection(id))?.opening).toEqual({ open: false, settled: new Set(['s2']) });
      expect(await storedIds(id, 's1')).toHaveLength(1);
      expect(await collection.startCollection(randomUUID())).toBeUndefined();
    });

    it('starts a pending task as it opens its first collect job, and opens nothing for a task that ended', async () => {
      const id = await createTask(['s1']);
      const started = await collection.startCollection(id);
      expect(started?.task).toMatchObject({ id, status: TaskStatus.RUNNING, stage: TaskStage.COLLECT });
      expect(started?.task.startedAt).toBeInstanceOf(Date);
      expect(started?.opening).toEqual({ open: true, settled: new Set() });
      // The same as TaskRepository.start(): a second load finds it running and leaves it so.
      expect((await collection.startCollection(id))?.task.startedAt).toEqual(started?.task.startedAt);

      await collection.saveBatch(id, 's1', 0, records('s1', 2));
      await tasks.cancel(id);
      expect(await collection.startCollection(id)).toMatchObject({
        task: { status: TaskStatus.CANCELLED },
        opening: { open: false, settled: new Set() },
      });
      // What the cancelled task holds stays as it was.
      expect(await storedIds(id, 's1')).toHaveLength(2);
    });

    it('drops what a source delivered before it failed', async () => {
      const id = await runningTask(['s1', 's2']);
      await collection.saveBatch(id, 's1', 0, records('s1', 3));
      expect(await collection.saveFailed(settlement(id, 's1'), 'connection reset')).toBe(true);
      expect(await storedIds(id, 's1')).toEqual([]);
      expect(await taskRow(id)).toMatchObject({ sourcesFailed: 1, recordsTotal: 0 });
    });
  });

  describe('LLM usage', () => {
    const usage = (promptTokens: number, calls: number) => ({
      promptTokens,
      completionTokens: calls,
      calls,
      cacheHits: 1,
    });

    it('adds each chunk and each summary once, per dimension, and puts the totals in the result', async () => {
      const { id } = await taskInEvaluate({ s1: 4 }, 2);
      const outcomes = async (chunk: number) =>
        (await recordsToEvaluate(evaluations, id, chunk)).map(({ sourceId, recordId }) => ({
          sourceId,
          recordId,
          scores: { dim1: 0.9, dim2: 0.9 },
          analyses: {},
        }));
      const chunkUsage = { dim1: usage(100, 2), dim2: usage(50, 2) };
      await evaluations.saveChunk(id, 0, await outcomes(0), chunkUsage);
      await evaluations.saveChunk(id, 0, await outcomes(0), chunkUsage); // a duplicate counts nothing
      await evaluations.saveChunk(id, 1, await outcomes(1), chunkUsage);
      // The task's view reads the row and the usage in one statement.
      expect(await tasks.findWithUsage(id)).toEqual({ task: await tasks.findById(id), usage: expect.any(Object) });
      expect((await tasks.findWithUsage(id))?.usage).toEqual({
        prompt_tokens: 300,
        completion_tokens: 8,
        calls: 8,
        cache_hits: 4,
        dimensions: [
          { dimension_id: 'dim1', prompt_tokens: 200, completion_tokens: 4, calls: 4, cache_hits: 2 },
          { dimension_id: 'dim2', prompt_tokens: 100, completion_tokens: 4, calls: 4, cache_hits: 2 },
        ],
      });
      expect(await tasks.findWithUsage(randomUUID())).toBeNull();
      await generation.saveDimensions(id, [{ result: dimensionResult('dim1'), usage: usage(7, 1) }]);
      // dim1 is stored already: only dim2 and its usage count.
      await generation.saveDimensions(id, [
        { result: dimensionResult('dim1'), usage: usage(7, 1) },
        { result: dimensionResult('dim2'), usage: usage(9, 1) },
      ]);
      await generation.complete(id, taskResult());
      const stored = await tasks.result(id);
      expect(stored?.usage).toMatchObject({ prompt_tokens: 316, calls: 10, cache_hits: 6 });
      expect(stored?.usage?.dimensions.map((entry) => entry.prompt_tokens)).toEqual([207, 109]);
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe(EvaluationStore.name, () => {
    it('fans in concurrently duplicated chunks: every chunk and record counted once, the task moved once', async () => {
      const chunkSize = 3;
      const { id, state } = await taskInEvaluate({ s1: 16, s2: 14 }, chunkSize);
      expect(state.chunksTotal).toBe(10);
      // Two records of chunk 4 fail; every other record is scored.
      const failing = new Set(['s1-12', 's1-13']);
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, async (_, chunk) => {
          const chunkRecords = await recordsToEvaluate(evaluations, id, chunk);
          return chunkRecords.map(
            ({ sourceId, recordId }): RecordOutcome =>
              failing.has(recordId)
                ? { sourceId, recordId, error: 'llm error' }
                : { sourceId, recordId, scores: { dim1: 0.7, dim2: 0.4 }, analyses: {} },
          );
        }),
      );

      // Each chunk delivered twice, all at once.
      const deliveries = [...outcomes.keys(), ...outcomes.keys()];
      const states = await Promise.all(
        deliveries.map((chunk) => evaluations.saveChunk(id, chunk, outcomes[chunk], {})),
      );

      const row = await taskRow(id);
      expect(row).toMatchObject({
        status: TaskStatus.RUNNING,
        stage: TaskStage.GENERATE,
        chunksTotal: 10,
        chunksDone: 10,
        recordsEvaluated: 28,
        recordsFailed: 2,
        error: null,
      });
      expect(await count('SELECT count(*)::int AS count FROM evaluation_chunks WHERE task_id = $1', [id])).toBe(10);
      expect(
        await count('SELECT sum(records_evaluated)::int AS count FROM evaluation_chunks WHERE task_id = $1', [id]),
      ).toBe(28);
      expect(
        await count("SELECT count(*)::int AS count FROM task_records WHERE task_id = $1 AND status = 'pending'", [id]),
      ).toBe(0);

      // Every call answers with the state after it; the chunk that completed the fan-in saw all ten done,
      // and no answer claims more chunks than exist or a move without all chunks done.
      expect(states.every((s) => s !== undefined && s.chunksDone <= 10)).toBe(true);
      expect(states.some((s) => s?.stage === TaskStage.GENERATE && s.chunksDone === 10)).toBe(true);
      expect(states.every((s) => s?.stage !== TaskStage.GENERATE || s.chunksDone === 10)).toBe(true);
      // The calls that counted a chunk saw chunks_done 1..10 in turn (the row lock serialises them); a
      // duplicate answers with the state it found, which is one of those.
      expect(new Set(states.map((s) => s!.chunksDone))).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    });

    it('stores each record outcome: scores for evaluated, the error for failed', async () => {
      const { id } = await taskInEvaluate({ s1: 3 }, 3);
      await evaluations.saveChunk(
        id,
        0,
        [
          { sourceId: 's1', recordId: 's1-0', scores: { dim1: 0.25, dim2: 1 }, analyses: { dim1: { score: 0.25 } } },
          { sourceId: 's1', recordId: 's1-1', error: 'timed out' },
          { sourceId: 's1', recordId: 's1-2', scores: { dim1: 0.5, dim2: 0 }, analyses: {} },
        ],
        {},
      );
      const rows = await db.query<
        {
          record_id: string;
          status: string;
          scores: unknown;
          error: string | null;
          evaluated_at: Date | null;
        }[]
      >(
        'SELECT record_id, status, scores, error, evaluated_at FROM task_records WHERE task_id = $1 ORDER BY position',
        [id],
      );
      expect(rows.map(({ evaluated_at, ...rest }) => ({ ...rest, evaluated: evaluated_at instanceof Date }))).toEqual([
        {
          record_id: 's1-0',
          status: RecordEvaluationStatus.EVALUATED,
          scores: { dim1: 0.25, dim2: 1 },
          error: null,
          evaluated: true,
        },
        { record_id: 's1-1', status: RecordEvaluationStatus.FAILED, scores: null, error: 'timed out', evaluated: true },
        {
          record_id: 's1-2',
          status: RecordEvaluationStatus.EVALUATED,
          scores: { dim1: 0.5, dim2: 0 },
          error: null,
          evaluated: true,
        },
      ]);
      expect(await tasks.failures(id, 10)).toEqual([
        { stage: 'evaluate', sourceId: 's1', recordId: 's1-1', message: 'timed out' },
      ]);
    });

    it('fails the task when every record failed evaluation', async () => {
      const { id } = await taskInEvaluate({ s1: 5 }, 2);
      const states = await Promise.all([0, 1, 2].map((chunk) => evaluateChunk(id, chunk, () => undefined)));
      expect(states.some((s) => s?.status === TaskStatus.FAILED)).toBe(true);
      const row = await taskRow(id);
      expect(row).toMatchObject({
        status: TaskStatus.FAILED,
        stage: TaskStage.EVALUATE,
        error: 'every record failed evaluation',
        chunksDone: 3,
        recordsEvaluated: 0,
        recordsFailed: 5,
      });
      expect(row.finishedAt).toBeInstanceOf(Date);
    });

    it('moves the task on when at least one record was evaluated', async () => {
      const { id } = await taskInEvaluate({ s1: 4 }, 2);
      await evaluateChunk(id, 0, () => undefined);
      expect(await evaluateChunk(id, 1, (recordId) => (recordId === 's1-3' ? { dim1: 1 } : undefined))).toMatchObject({
        status: TaskStatus.RUNNING,
        stage: TaskStage.GENERATE,
        chunksDone: 2,
      });
      expect(await taskRow(id)).toMatchObject({ recordsEvaluated: 1, recordsFailed: 3, error: null });
    });

    it('lists the unfinished chunks, tells whether a chunk is done, and reads only unfinished chunks', async () => {
      const { id, state } = await taskInEvaluate({ s1: 12 }, 2);
      expect(state.chunksTotal).toBe(6);
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 0 })).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 0 }, 2)).toEqual([0, 1]);
      for (const chunk of [0, 2, 5]) await evaluateChunk(id, chunk, () => ({ dim1: 0.5 }));
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 3 })).toEqual([1, 3, 4]);
      // The lowest ones only, when asked for fewer.
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 3 }, 2)).toEqual([1, 3]);
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 3 }, 1)).toEqual([1]);
      // Searched from a chunk every one below which is stored (ADR 32): the same lowest ones above it.
      await evaluateChunk(id, 1, () => ({ dim1: 0.5 }));
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 4 }, 2, 3)).toEqual([3, 4]);
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 6, chunksDone: 4 }, 2, 0)).toEqual([3, 4]);
      expect(await evaluations.isChunkDone(id, 2)).toBe(true);
      expect(await evaluations.isChunkDone(id, 3)).toBe(false);
      // A stored chunk has no records left to evaluate; an unfinished one has its own.
      expect(await recordsToEvaluate(evaluations, id, 2)).toEqual([]);
      expect((await recordsToEvaluate(evaluations, id, 3)).map((record) => record.recordId)).toEqual(['s1-6', 's1-7']);
      expect(await evaluations.unfinishedChunks(id, { chunksTotal: 0, chunksDone: 0 })).toEqual([]);
      expect(await taskRow(id)).toMatchObject({ stage: TaskStage.EVALUATE, chunksDone: 4 });
      // A job's one read: the task as the runner needs it, with the chunk's records.
      expect((await evaluations.loadChunk(id, 3))?.task).toMatchObject({
        id,
        status: TaskStatus.RUNNING,
        stage: TaskStage.EVALUATE,
        chunksDone: 4,
        spec: expect.objectContaining({ dimensions: expect.any(Array) }),
      });
      expect(await evaluations.loadChunk(randomUUID(), 0)).toBeUndefined();
      // A task that no longer runs has no records to evaluate: its job is skipped.
      await tasks.cancel(id);
      expect(await evaluations.loadChunk(id, 3)).toMatchObject({ task: { status: TaskStatus.CANCELLED }, records: [] });
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe(GenerationStore.name, () => {
    const scoreTable: Record<string, Record<string, number> | undefined> = {
      'a-0': { dim1: 0.6, dim2: 0.5 }, // exactly on both thresholds: passes both
      'a-1': { dim1: 0.59, dim2: 0.9 }, // just below dim1
      'a-2': undefined, // failed evaluation
      'b-0': { dim1: 0.9, dim2: 0.49 }, // just below dim2
      'b-1': { dim1: 1 }, // no dim2 score: cannot pass dim2
      'b-2': { dim1: 0.95, dim2: 0.51 }, // passes both
    };
    const byTable = (recordId: string) => scoreTable[recordId];
    /** One dimension's scores, read alone. */
    const scoresOf = async (id: string, dimensionId: string, threshold: number, limits: ScoreRequest['limits']) =>
      (await generation.dimensionScores(id, [{ dimensionId, threshold, limits }], [])).byDimension.get(dimensionId)!;

    it('lists the passing records of one dimension in collection order and best first, thresholds inclusive', async () => {
      const id = await taskInGenerate({ b: 3, a: 3 }, byTable);
      const dim1 = await scoresOf(id, 'dim1', 0.6, { passed: 100, best: 3 });
      expect(dim1.passed).toEqual([
        { sourceId: 'a', recordId: 'a-0', score: 0.6 },
        { sourceId: 'b', recordId: 'b-0', score: 0.9 },
        { sourceId: 'b', recordId: 'b-1', score: 1 },
        { sourceId: 'b', recordId: 'b-2', score: 0.95 },
      ]);
      expect(dim1.best).toEqual([
        { sourceId: 'b', recordId: 'b-1', score: 1 },
        { sourceId: 'b', recordId: 'b-2', score: 0.95 },
        { sourceId: 'b', recordId: 'b-0', score: 0.9 },
      ]);
      expect(dim1.figures).toMatchObject({ count: 5, passed: 4 });
      expect((await scoresOf(id, 'dim1', 0.6, { passed: 2, best: 0 })).passed).toHaveLength(2);
      expect((await scoresOf(id, 'dim2', 0, { passed: 100, best: 0 })).passed).toEqual([
        { sourceId: 'a', recordId: 'a-0', score: 0.5 },
        { sourceId: 'a', recordId: 'a-1', score: 0.9 },
        { sourceId: 'b', recordId: 'b-0', score: 0.49 },
        { sourceId: 'b', recordId: 'b-2', score: 0.51 },
      ]);
      expect(await scoresOf(id, 'unknown', 0, { passed: 100, best: 10 })).toMatchObject({
        figures: { count: 0 },
        passed: [],
        best: [],
      });
    });

    it('reads several dimensions in one statement, each as if read alone, with the count passing every threshold', async () => {
      const id = await taskInGenerate({ b: 3, a: 3 }, byTable);
      const limits = { passed: 100, best: 2 };
      const together = await generation.dimensionScores(
        id,
        [
          { dimensionId: 'dim1', threshold: 0.6, limits },
          { dimensionId: 'dim2', threshold: 0.5, limits },
        ],
        DIMENSIONS,
      );
      expect([...together.byDimension.keys()].sort()).toEqual(['dim1', 'dim2']);
      expect(together.byDimension.get('dim1')).toEqual(await scoresOf(id, 'dim1', 0.6, limits));
      expect(together.byDimension.get('dim2')).toEqual(await scoresOf(id, 'dim2', 0.5, limits));
      expect(together.passingAll).toBe(await generation.countPassingAll(id, DIMENSIONS));
      expect(together.passingAll).toBe(2);
      expect(await generation.dimensionScores(id, [], DIMENSIONS)).toEqual({ byDimension: new Map(), passingAll: 2 });
    });

    it('keeps ties in collection order among the best', async () => {
      const id = await taskInGenerate({ a: 4 }, (recordId) => ({ dim1: recordId === 'a-2' ? 0.9 : 0.7 }));
      const { best } = await scoresOf(id, 'dim1', 0, { passed: 0, best: 3 });
      expect(best.map((entry) => entry.recordId)).toEqual(['a-2', 'a-0', 'a-1']);
    });

    describe('statistics of a dimension, computed in Postgres', () => {
      /** A task whose records, in order, scored `values` on dim1 (and one more scored on dim2 only). */
      async function figuresOf(values: number[], threshold: number) {
        const id = await taskInGenerate({ s: values.length + 1 }, (recordId): Record<string, number> => {
          const index = Number(recordId.split('-')[1]);
          return index < values.length ? { dim1: values[index] } : { dim2: 0.5 };
        });
        return toScoreStatistics((await scoresOf(id, 'dim1', threshold, { passed: 0, best: 0 })).figures);
      }

      it('are defined and all zeros for a dimension without scores', async () => {
        expect(await figuresOf([], 0.5)).toEqual({
          count: 0,
          passed: 0,
          pass_rate: 0,
          mean: 0,
          min: 0,
          max: 0,
          median: 0,
          p90: 0,
          stddev: 0,
        });
      });

      it('describe a single value: every statistic is that value, no spread', async () => {
        expect(await figuresOf([0.7], 0.7)).toEqual({
          count: 1,
          passed: 1,
          pass_rate: 1,
          mean: 0.7,
          min: 0.7,
          max: 0.7,
          median: 0.7,
          p90: 0.7,
          stddev: 0,
        });
      });

      it('match an even-sized set computed by hand, whatever the order', async () => {
        // sorted 0.2 0.4 0.6 0.8; median at rank 1.5 -> 0.5; p90 at rank 2.7 -> 0.6 + 0.7 * 0.2 = 0.74;
        // population variance (0.09 + 0.01 + 0.01 + 0.09) / 4 = 0.05 -> stddev 0.2236 (the sample formula gives 0.2582)
        expect(await figuresOf([0.8, 0.2, 0.6, 0.4], 0.6)).toEqual({
          count: 4,
          passed: 2,
          pass_rate: 0.5,
          mean: 0.5,
          min: 0.2,
          max: 0.8,
          median: 0.5,
          p90: 0.74,
          stddev: 0.2236,
        });
      });

      it('match an odd-sized set computed by hand', async () => {
        // sorted 0.1 0.5 0.9; median is the middle value; p90 at rank 1.8 -> 0.5 + 0.8 * 0.4 = 0.82;
        // population variance (0.16 + 0 + 0.16) / 3 = 0.10667 -> stddev 0.3266
        expect(await figuresOf([0.9, 0.1, 0.5], 0.95)).toEqual({
          count: 3,
          passed: 0,
          pass_rate: 0,
          mean: 0.5,
          min: 0.1,
          max: 0.9,
          median: 0.5,
          p90: 0.82,
          stddev: 0.3266,
        });
      });

      it('count a score equal to the threshold as passed, and round derived values to 4 places', async () => {
        expect(await figuresOf([0.59, 0.6, 0.61], 0.6)).toMatchObject({ passed: 2, pass_rate: 0.6667 });
        // mean 2/3, stddev sqrt(2/9)
        expect(await figuresOf([0, 1, 1], 0.5)).toMatchObject({ mean: 0.6667, pass_rate: 0.6667, stddev: 0.4714 });
      });
    });

    it('counts the records passing every threshold, thresholds inclusive', async () => {
      const id = await taskInGenerate({ a: 3, b: 3 }, byTable);
      expect(await generation.countPassingAll(id, DIMENSIONS)).toBe(2);
      expect(await generation.countPassingAll(id, [DIMENSIONS[0]])).toBe(4);
      expect(await generation.countPassingAll(id, [{ id: 'dim1', threshold: 0 }])).toBe(5);
      expect(await generation.countPassingAll(id, [{ id: 'dim2', threshold: 0 }])).toBe(4);
      expect(await generation.countPassingAll(id, [{ id: 'dim1', threshold: 1 }])).toBe(1);
      expect(await generation.countPassingAll(id, [])).toBe(5);
    });

    it('stores a dimension once and counts it once', async () => {
      const id = await taskInGenerate({ a: 1 }, () => ({ dim1: 1, dim2: 1 }));
      await generation.saveDimensions(id, [{ result: dimensionResult('dim1'), usage: NO_USAGE }]);
      await generation.saveDimensions(id, [
        { result: { ...dimensionResult('dim1'), summary: 'second' }, usage: NO_USAGE },
      ]);
      await Promise.all(
        [1, 2, 3].map(() => generation.saveDimensions(id, [{ result: dimensionResult('dim2'), usage: NO_USAGE }])),
      );
      expect((await taskRow(id)).dimensionsDone).toBe(2);
      // Several in one statement, concurrently with a re-run: each stored and counted once.
      const both = ['dim1', 'dim2'].map((dimension) => ({ result: dimensionResult(dimension), usage: NO_USAGE }));
      const other = await taskInGenerate({ a: 1 }, () => ({ dim1: 1, dim2: 1 }));
      await Promise.all([generation.saveDimensions(other, both), generation.saveDimensions(other, both.slice(1))]);
      expect((await taskRow(other)).dimensionsDone).toBe(2);
      const finished = await generation.finishedDimensions(id);
      expect([...finished.keys()].sort()).toEqual(['dim1', 'dim2']);
      expect(finished.get('dim1')).toEqual(dimensionResult('dim1'));
    });

    it('complete() ends a clean task completed, stores the result once, and a second call changes nothing', async () => {
      const id = await taskInGenerate({ a: 2 }, () => ({ dim1: 1, dim2: 1 }));
      const result = taskResult();
      expect(await generation.complete(id, result)).toBe(TaskStatus.COMPLETED);
      const row = await taskRow(id);
      expect(row).toMatchObject({ status: TaskStatus.COMPLETED, stage: TaskStage.GENERATE });
      expect(row.finishedAt).toBeInstanceOf(Date);
      // The stored result gets the task's LLM usage (none here).
      const stored = {
        ...result,
        usage: { prompt_tokens: 0, completion_tokens: 0, calls: 0, cache_hits: 0, dimensions: [] },
      };
      expect(await tasks.result(id)).toEqual(stored);

      expect(await generation.complete(id, { ...result, passed_all_dimensions: 99 })).toBeUndefined();
      expect(await resultRows(id)).toBe(1);
      expect(await tasks.result(id)).toEqual(stored);
      expect((await taskRow(id)).finishedAt).toEqual(row.finishedAt);
    });

    it('complete() ends a task with a failed record, a failed source or a missing summary completed_with_errors', async () => {
      const failedRecord = await taskInGenerate({ a: 2 }, (recordId) => (recordId === 'a-1' ? undefined : { dim1: 1 }));
      expect(await generation.complete(failedRecord, taskResult())).toBe(TaskStatus.COMPLETED_WITH_ERRORS);

      const failedSource = await taskInGenerate({ a: 2 }, () => ({ dim1: 1 }), ['down']);
      expect(await generation.complete(failedSource, taskResult())).toBe(TaskStatus.COMPLETED_WITH_ERRORS);

      const noRecords = await taskInGenerate({ a: 0 }, () => undefined, ['down']);
      expect(await generation.complete(noRecords, taskResult())).toBe(TaskStatus.COMPLETED_WITH_ERRORS);

      const summaryFailed = await taskInGenerate({ a: 2 }, () => ({ dim1: 1 }));
      const withoutSummary = { ...dimensionResult('dim1'), summary: null, summary_error: 'ProviderError: rejected' };
      expect(await generation.complete(summaryFailed, { ...taskResult(), dimensions: [withoutSummary] })).toBe(
        TaskStatus.COMPLETED_WITH_ERRORS,
      );

      for (const id of [failedRecord, failedSource, noRecords, summaryFailed]) {
        expect((await taskRow(id)).status).toBe(TaskStatus.COMPLETED_WITH_ERRORS);
        expect(await resultRows(id)).toBe(1);
      }
    });

    it('complete() refuses a task that is not in generate, and concurrent calls store one result', async () => {
      const { id: evaluating } = await taskInEvaluate({ s1: 2 }, 2);
      expect(await generation.complete(evaluating, taskResult())).toBeUndefined();
      expect(await taskRow(evaluating)).toMatchObject({ status: TaskStatus.RUNNING, stage: TaskStage.EVALUATE });
      expect(await resultRows(evaluating)).toBe(0);

      const id = await taskInGenerate({ a: 2 }, () => ({ dim1: 1 }));
      const statuses = await Promise.all([1, 2, 3].map(() => generation.complete(id, taskResult())));
      expect(statuses.filter((status) => status !== undefined)).toEqual([TaskStatus.COMPLETED]);
      expect(await resultRows(id)).toBe(1);
    });
  });

  // ---------------------------------------------------------------------------------------------

  describe('runMigrations', () => {
    const settings = testDatabaseSettings();

    it('is safe to run concurrently against the migrated test database', async () => {
      const [a, b] = await Promise.all([openTestDataSource({ poolSize: 2 }), openTestDataSource({ poolSize: 2 })]);
      try {
        await expect(Promise.all([runMigrations(a), runMigrations(b)])).resolves.toBeDefined();
        expect(await count('SELECT count(*)::int AS count FROM migrations', [])).toBe(a.migrations.length);
        expect(a.migrations.length).toBeGreaterThan(0);
      } finally {
        await Promise.all([a.destroy(), b.destroy()]);
      }
    });

    it('lets exactly one of two concurrent runs apply the migrations to an empty database (advisory lock)', async () => {
      const scratch = `${settings.DATABASE_NAME}_migrations_${process.pid}`.slice(0, 63);
      await db.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
      await ensureTestDatabase({ ...settings, DATABASE_NAME: scratch });
      const open = () =>
        new DataSource(
          dataSourceOptions({ ...appOptions(settings).database, database: scratch, poolSize: 2 }),
        ).initialize();
      const [a, b] = await Promise.all([open(), open()]);
      try {
        await Promise.all([runMigrations(a), runMigrations(b)]);
        const applied = await a.query<{ name: string }[]>('SELECT name FROM migrations ORDER BY id');
        expect(applied.map((row) => row.name)).toEqual(
          a.migrations.map((migration) => migration.name ?? migration.constructor.name),
        );
        const tables = await a.query<{ table_name: string }[]>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
        );
        expect(tables.map((row) => row.table_name)).toEqual([
          'batches',
          'deliveries',
          'dimension_results',
          'evaluation_chunks',
          'migrations',
          'task_records',
          'task_results',
          'task_sources',
          'task_usage',
          'tasks',
        ]);
      } finally {
        await Promise.all([a.destroy(), b.destroy()]);
        await db.query(`DROP DATABASE IF EXISTS "${scratch}" WITH (FORCE)`);
      }
    });
  });
});
