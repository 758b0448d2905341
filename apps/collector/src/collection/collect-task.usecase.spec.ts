import { CancelledError } from '@app/common';
import type { TaskSpec, SourceSpec, DataSourceReader, SourceRecord } from '@app/contracts';
import {
  DataSourceType,
  ProviderError,
  RecordEvaluationStatus,
  TaskPriority,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import type { TaskEventsPublisher } from '@app/pipeline';
import { done, skipped } from '@app/pipeline';
import type {
  CollectedRecord,
  CollectionOpening,
  CollectionStore,
  SourceSettlement,
  StreamedSource,
  TaskEntity,
  TaskState,
} from '@app/persistence';
import type { CollectOptions } from './collect-task.usecase';
import { CollectTaskUseCase } from './collect-task.usecase';

const TASK_ID = 'task-1';

function source(id: string): SourceSpec {
  return { id, type: DataSourceType.API, url: `https://example.test/${id}` };
}

function spec(...ids: string[]): TaskSpec {
  return {
    sources: ids.map(source),
    llm: { model: 'm' },
    dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.5 }],
  };
}

function state(overrides: Partial<TaskState> = {}): TaskState {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.COLLECT,
    chunksTotal: null,
    chunksDone: 0,
    recordsTotal: 0,
    priority: TaskPriority.NORMAL,
    ...overrides,
  };
}

function records(sourceId: string, count = 2): SourceRecord[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${sourceId}-r${i}`, content: `content ${i}`, fields: {} }));
}

type Fetch = (source: SourceSpec, signal: AbortSignal, attempt: number) => Promise<SourceRecord[]>;

/**
 * A reader whose answer is chosen per source and handed out in batches of `batchSize`; counts the
 * calls of every source.
 */
class FakeReader implements DataSourceReader {
  readonly calls = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly answer: Fetch,
    private readonly batchSize = 1000,
  ) {}

  async *read(dataSource: SourceSpec, signal: AbortSignal): AsyncGenerator<SourceRecord[]> {
    const attempt = (this.calls.get(dataSource.id) ?? 0) + 1;
    this.calls.set(dataSource.id, attempt);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const all = await this.answer(dataSource, signal, attempt);
      for (let start = 0; start < all.length; start += this.batchSize) yield all.slice(start, start + this.batchSize);
    } finally {
      this.inFlight--;
    }
  }
}

/** Settles only through its signal: what a hanging source looks like to the collector. */
function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason as unknown);
    signal.addEventListener('abort', () => reject(signal.reason as unknown), { once: true });
  });
}

/** Keeps each source's stored batches as CollectionStore would: an attempt's discard empties them. */
class FakeCollectionStore {
  readonly stored = new Map<string, { position: number; records: readonly CollectedRecord[] }[]>();
  readonly collected: { settlement: SourceSettlement; records: CollectedRecord[]; streamed: StreamedSource }[] = [];
  readonly failed: { settlement: SourceSettlement; error: string }[] = [];
  /** The batch each settlement stored itself (the source's last). */
  readonly lastBatches: { sourceId: string; position: number; records: readonly CollectedRecord[] }[] = [];
  settled = new Set<string>();
  /** Whether the source is still open for batches: false once the task ended. */
  open = true;
  after: TaskState | undefined = state({ stage: TaskStage.EVALUATE, chunksTotal: 1, recordsTotal: 4 });
  readonly finishCollection = jest.fn(async (_taskId: string, _chunkSize: number) => this.after);

  /** Whether the task is past its soft time limit (opening then refuses new work). */
  softLimited = false;
  readonly discarded: string[] = [];
  /** Sources opened on their own (those that did not start with the job). */
  readonly openedAlone: string[] = [];

  /** The task the job loads. */
  task = state() as TaskEntity;

  async startCollection(): Promise<{ task: TaskEntity; opening: CollectionOpening }> {
    if (!this.softLimited) for (const sourceId of this.stored.keys()) this.stored.set(sourceId, []);
    return { task: this.task, opening: { open: !this.softLimited, settled: this.settled } };
  }

  async openSource(_taskId: string, sourceId: string): Promise<boolean> {
    this.openedAlone.push(sourceId);
    if (this.softLimited) return false;
    this.stored.set(sourceId, []);
    return true;
  }

  async discardUnsettled(_taskId: string, sourceId: string): Promise<void> {
    this.discarded.push(sourceId);
    this.stored.set(sourceId, []);
  }

  async saveBatch(
    _taskId: string,
    sourceId: string,
    position: number,
    records: readonly CollectedRecord[],
  ): Promise<boolean> {
    if (!this.open) return false;
    this.stored.set(sourceId, [...(this.stored.get(sourceId) ?? []), { position, records }]);
    return true;
  }

  async saveCollected(
    settlement: SourceSettlement,
    streamed: StreamedSource,
    last: { position: number; records: readonly CollectedRecord[] } = { position: 0, records: [] },
  ): Promise<{ records: number; dropped: number } | undefined> {
    if (!this.open) return undefined;
    this.lastBatches.push({ sourceId: settlement.sourceId, ...last });
    const records = [...(this.stored.get(settlement.sourceId) ?? []), last].flatMap((batch) => batch.records);
    this.collected.push({ settlement, records, streamed });
    return { records: records.length, dropped: streamed.dropped };
  }

  async saveFailed(settlement: SourceSettlement, error: string): Promise<boolean> {
    this.failed.push({ settlement, error });
    return true;
  }
}

const OPTIONS: CollectOptions = {
  sourceConcurrency: 4,
  sourceTimeoutMs: 1_000,
  maxAttempts: 3,
  baseDelayMs: 1,
  maxDelayMs: 1,
  chunkSize: 10,
};

function setup(options: { reader: DataSourceReader; spec?: TaskSpec; collect?: Partial<CollectOptions> }) {
  const task = { ...state(), spec: options.spec ?? spec('a', 'b') } as TaskEntity;
  const collection = new FakeCollectionStore();
  collection.task = task;
  const events = { progress: jest.fn() };
  const useCase = new CollectTaskUseCase(
    collection as unknown as CollectionStore,
    events as unknown as TaskEventsPublisher,
    options.reader,
    { ...OPTIONS, ...options.collect },
  );
  // As the runner does: the job's load, then its work on what was loaded.
  const execute = async (signal: AbortSignal) => {
    const loaded = await useCase.load({ taskId: TASK_ID });
    if (!loaded) throw new Error('the store found no task');
    return useCase.execute({ taskId: TASK_ID }, loaded.task, signal, loaded.work);
  };
  return { useCase, execute, collection, events };
}

const okReader = (): FakeReader => new FakeReader(async (s) => records(s.id));
const live = (): AbortSignal => new AbortController().signal;

describe(CollectTaskUseCase.name, () => {
  it('collects every source and finishes the collection with the chunk size, done with the new state', async () => {
    const reader = okReader();
    const { execute, collection } = setup({ reader, spec: spec('a', 'b') });

    const outcome = await execute(live());

    expect(collection.collected.map((entry) => entry.settlement.sourceId).sort()).toEqual(['a', 'b']);
    const a = collection.collected.find((entry) => entry.settlement.sourceId === 'a');
    expect(a?.records).toEqual(
      records('a').map((record) => ({
        ...record,
        status: RecordEvaluationStatus.PENDING,
        error: null,
        dedupeKey: null,
      })),
    );
    expect(a?.settlement).toMatchObject({ taskId: TASK_ID, attempts: 1 });
    expect(collection.failed).toEqual([]);
    expect(collection.finishCollection).toHaveBeenCalledWith(TASK_ID, OPTIONS.chunkSize);
    expect(outcome).toEqual(done(collection.after!, { pending: 2, collected: 2, failed: 0, settledElsewhere: 0 }));
  });

  it("stores each source's records as the task's processing chain left them", async () => {
    const reader = new FakeReader(async () => [
      { id: 'r1', content: ' keep me ', fields: { n: '2' } },
      { id: 'r2', content: 'too small', fields: { n: '0' } },
      { id: 'r3', content: 'not a number', fields: { n: 'x' } },
      { id: 'r4', content: 'filtered', fields: { n: '9' } },
    ]);
    const { execute, collection } = setup({
      reader,
      spec: {
        ...spec('a'),
        dimensions: [],
        processing: {
          steps: [
            { type: 'transform', strip: ['content'], to_number: ['n'] },
            { type: 'filter', all: [{ field: 'n', op: 'lt', value: 5 }] },
            { type: 'validate', min: { n: 1 } },
          ],
        },
      },
    });

    await execute(live());

    expect(collection.collected).toHaveLength(1);
    expect(collection.collected[0].streamed).toEqual({ offered: 3, dropped: 1 });
    expect(collection.collected[0].records).toEqual([
      {
        id: 'r1',
        content: 'keep me',
        fields: { n: 2 },
        status: RecordEvaluationStatus.PROCESSED,
        error: null,
        dedupeKey: null,
      },
      {
        id: 'r2',
        content: 'too small',
        fields: { n: 0 },
        status: RecordEvaluationStatus.FAILED,
        error: 'step 2 (validate): n must be at least 1',
        dedupeKey: null,
      },
      {
        id: 'r3',
        content: 'not a number',
        fields: { n: 'x' },
        status: RecordEvaluationStatus.FAILED,
        error: 'step 0 (transform): n: "x" is not a number',
        dedupeKey: null,
      },
    ]);
  });

  it('is skipped when the task ended or vanished before the collection finished', async () => {
    const { execute, collection } = setup({ reader: okReader() });
    collection.after = undefined;

    await expect(execute(live())).resolves.toEqual(skipped('task-ended'));
  });

  it('fetches only the sources that are not settled yet (a re-run after a crash)', async () => {
    const reader = okReader();
    const { execute, collection } = setup({ reader, spec: spec('a', 'b', 'c') });
    collection.settled = new Set(['a', 'c']);

    const outcome = await execute(live());

    expect([...reader.calls.keys()]).toEqual(['b']);
    expect(collection.collected.map((entry) => entry.settlement.sourceId)).toEqual(['b']);
    expect(collection.finishCollection).toHaveBeenCalledTimes(1);
    expect(outcome).toMatchObject({ kind: 'done', detail: { pending: 1, collected: 1 } });
  });

  it('retries a retryable failure and saves the source once it succeeds, with the attempts it took', async () => {
    const reader = new FakeReader(async (s, _signal, attempt) => {
      if (s.id === 'flaky' && attempt < 3)
        throw new ProviderError('503 from upstream', { status: 503, retryable: true });
      return records(s.id);
    });
    const { execute, collection } = setup({ reader, spec: spec('flaky', 'ok'), collect: { maxAttempts: 4 } });

    await execute(live());

    expect(reader.calls.get('flaky')).toBe(3);
    expect(reader.calls.get('ok')).toBe(1);
    const flaky = collection.collected.find((entry) => entry.settlement.sourceId === 'flaky');
    expect(flaky?.settlement.attempts).toBe(3);
    expect(collection.failed).toEqual([]);
  });

  it('records a source that keeps failing as failed, naming the source and the attempts, while the others are collected', async () => {
    const reader = new FakeReader(async (s) => {
      if (s.id === 'bad') throw new ProviderError('upstream unavailable', { status: 503, retryable: true });
      return records(s.id);
    });
    const { execute, collection } = setup({
      reader,
      spec: spec('good1', 'bad', 'good2'),
      collect: { maxAttempts: 3 },
    });

    const outcome = await execute(live());

    expect(reader.calls.get('bad')).toBe(3);
    expect(collection.failed).toHaveLength(1);
    const [failed] = collection.failed;
    expect(failed.settlement).toMatchObject({ taskId: TASK_ID, sourceId: 'bad', attempts: 3 });
    expect(failed.error).toContain('source bad failed after 3 attempt(s)');
    expect(failed.error).toContain('upstream unavailable');
    expect(collection.collected.map((entry) => entry.settlement.sourceId).sort()).toEqual(['good1', 'good2']);
    expect(outcome).toMatchObject({
      kind: 'done',
      detail: { pending: 3, collected: 2, failed: 1, settledElsewhere: 0 },
    });
  });

  it('does not retry a non-retryable failure', async () => {
    const reader = new FakeReader(async () => {
      throw new ProviderError('404 unknown source', { status: 404, retryable: false });
    });
    const { execute, collection } = setup({ reader, spec: spec('gone'), collect: { maxAttempts: 5 } });

    await execute(live());

    expect(reader.calls.get('gone')).toBe(1);
    expect(collection.failed).toHaveLength(1);
    expect(collection.failed[0].settlement.attempts).toBe(1);
    expect(collection.failed[0].error).toContain('source gone failed after 1 attempt(s)');
    expect(collection.failed[0].error).toContain('404 unknown source');
  });

  it('records a source that hangs as timed out after the per-source timeout, retrying it like any transient failure', async () => {
    const reader = new FakeReader(async (s, signal) => (s.id === 'slow' ? hang(signal) : records(s.id)));
    const { execute, collection } = setup({
      reader,
      spec: spec('slow', 'fast'),
      collect: { sourceTimeoutMs: 20, maxAttempts: 2 },
    });

    await execute(live());

    expect(reader.calls.get('slow')).toBe(2);
    expect(collection.failed).toHaveLength(1);
    expect(collection.failed[0].settlement.sourceId).toBe('slow');
    expect(collection.failed[0].error).toBe('source slow failed after 2 attempt(s): timed out after 20 ms');
    expect(collection.collected.map((entry) => entry.settlement.sourceId)).toEqual(['fast']);
  });

  it('propagates the abort of the task instead of recording the source as failed', async () => {
    const controller = new AbortController();
    const reader = new FakeReader(async (_s, signal) => {
      setTimeout(() => controller.abort(new CancelledError('task task-1 was cancelled')), 5);
      return hang(signal);
    });
    const { execute, collection } = setup({
      reader,
      spec: spec('a'),
      collect: { sourceTimeoutMs: 5_000, maxAttempts: 3 },
    });

    await expect(execute(controller.signal)).rejects.toBeInstanceOf(CancelledError);
    expect(reader.calls.get('a')).toBe(1);
    expect(collection.failed).toEqual([]);
    expect(collection.collected).toEqual([]);
    expect(collection.finishCollection).not.toHaveBeenCalled();
  });

  it('fetches at most sourceConcurrency sources at once', async () => {
    const reader = new FakeReader(async (s) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return records(s.id);
    });
    const ids = ['s1', 's2', 's3', 's4', 's5', 's6', 's7'];
    const { execute, collection } = setup({ reader, spec: spec(...ids), collect: { sourceConcurrency: 2 } });

    await execute(live());

    expect(reader.maxInFlight).toBe(2);
    expect(collection.collected).toHaveLength(ids.length);
  });

  it('is done with the failed task when every source failed (finishCollection fails it)', async () => {
    const reader = new FakeReader(async () => {
      throw new ProviderError('nope', { retryable: false });
    });
    const { execute, collection } = setup({ reader, spec: spec('a', 'b') });
    collection.after = state({ status: TaskStatus.FAILED });

    const outcome = await execute(live());

    expect(outcome).toEqual(done(collection.after, { pending: 2, collected: 0, failed: 2, settledElsewhere: 0 }));
  });

  it('lets a failure to store propagate (so Bull retries the job) instead of blaming the source', async () => {
    // Batches of 2: the first batch of each source is stored while the next is read.
    const { execute, collection } = setup({ reader: new FakeReader(async (s) => records(s.id, 4), 2) });
    collection.saveBatch = jest.fn().mockRejectedValue(new Error('Postgres is down'));
    await expect(execute(live())).rejects.toThrow('Postgres is down');
    expect(collection.failed).toEqual([]);
    expect(collection.finishCollection).not.toHaveBeenCalled();
  });

  it('counts a source another run settled meanwhile as neither collected nor failed', async () => {
    const { execute, collection, events } = setup({ reader: okReader(), spec: spec('a') });
    collection.saveCollected = jest.fn().mockResolvedValue(undefined);
    const outcome = await execute(live());
    expect(outcome).toMatchObject({ kind: 'done', detail: { pending: 1, collected: 0, settledElsewhere: 1 } });
    expect(events.progress).not.toHaveBeenCalledWith(expect.anything(), expect.stringMatching(/source a collected/));
  });

  it('stores a source batch by batch as it streams in, at consecutive positions, the last with its settlement', async () => {
    const reader = new FakeReader(async (s) => records(s.id, 5), 2);
    const { execute, collection, events } = setup({ reader, spec: spec('a') });

    await execute(live());

    expect(collection.stored.get('a')!.map((batch) => [batch.position, batch.records.length])).toEqual([
      [0, 2],
      [2, 2],
    ]);
    expect(collection.lastBatches.map(({ position, records }) => [position, records.length])).toEqual([[4, 1]]);
    expect(collection.collected[0].records.map((record) => record.id)).toEqual(records('a', 5).map((r) => r.id));
    expect(collection.collected[0].streamed).toEqual({ offered: 5, dropped: 0 });
    expect(events.progress).toHaveBeenCalledWith(expect.anything(), 'source a collected (5 records)');
  });

  it('starts a retried source afresh: what a broken attempt stored is discarded', async () => {
    let broken = true;
    const reader: DataSourceReader = {
      async *read(dataSource) {
        yield records(dataSource.id, 2);
        if (broken) {
          broken = false;
          throw new ProviderError('connection reset', { retryable: true });
        }
        yield records(`${dataSource.id}-more`, 1);
      },
    };
    const { execute, collection } = setup({ reader, spec: spec('a') });

    await execute(live());

    expect(collection.collected[0].records.map((record) => record.id)).toEqual(['a-r0', 'a-r1', 'a-more-r0']);
    expect(collection.collected[0].settlement.attempts).toBe(2);
    // The first attempt's leftovers of an earlier run went with the job's opening; the retry discards its own.
    expect(collection.discarded).toEqual(['a']);
  });

  it('fetches no source past the soft time limit: each is settled failed, saying why', async () => {
    const reader = new FakeReader(async (s) => records(s.id));
    const { execute, collection } = setup({ reader, spec: spec('a', 'b', 'c'), collect: { sourceConcurrency: 2 } });
    collection.softLimited = true;

    await execute(live());

    expect(reader.calls.size).toBe(0);
    expect(collection.failed.map(({ settlement, error }) => [settlement.sourceId, settlement.attempts, error])).toEqual(
      [
        ['a', 0, 'source a not fetched: the task reached its soft time limit'],
        ['b', 0, 'source b not fetched: the task reached its soft time limit'],
        ['c', 0, 'source c not fetched: the task reached its soft time limit'],
      ],
    );
  });

  it('opens the sources that start with the job by its opening, and a later one at its own start', async () => {
    const reader = new FakeReader(async (s) => {
      // The soft limit passes while the first sources are read: the third, started after, is not fetched.
      if (s.id === 'b') collection.softLimited = true;
      return records(s.id);
    });
    const { execute, collection } = setup({ reader, spec: spec('a', 'b', 'c'), collect: { sourceConcurrency: 2 } });

    await execute(live());

    expect(collection.openedAlone).toEqual(['c']);
    expect(collection.collected.map(({ settlement }) => settlement.sourceId).sort()).toEqual(['a', 'b']);
    expect(collection.failed.map(({ settlement }) => settlement.sourceId)).toEqual(['c']);
  });

  it('stops reading a source, neither collected nor failed, once the task ended under it', async () => {
    const { execute, collection } = setup({
      reader: new FakeReader(async (s) => records(s.id, 6), 2),
      spec: spec('a'),
    });
    collection.open = false;

    const outcome = await execute(live());

    expect(collection.collected).toEqual([]);
    expect(collection.failed).toEqual([]);
    expect(outcome).toMatchObject({ kind: 'done', detail: { pending: 1, collected: 0, settledElsewhere: 1 } });
  });

  it('describes a done job in one line', () => {
    const { useCase } = setup({ reader: okReader() });
    expect(useCase.describe({ pending: 3, collected: 2, failed: 0, settledElsewhere: 1 })).toBe(
      'collected 2/3 source(s), 1 settled by another run',
    );
    expect(useCase.describe({ pending: 2, collected: 0, failed: 2, settledElsewhere: 0 })).toBe(
      'collected 0/2 source(s)',
    );
  });

  it('broadcasts the records collected, or that every source failed', () => {
    const { useCase } = setup({ reader: okReader() });
    expect(useCase.progress(state({ stage: TaskStage.EVALUATE, recordsTotal: 4 }))).toBe('collected 4 record(s)');
    expect(useCase.progress(state({ status: TaskStatus.FAILED }))).toBe('every data source failed');
  });
});
