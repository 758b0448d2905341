import type { TaskSpec } from '@app/contracts';
import { DataSourceType, TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import { done, skipped } from '@app/pipeline';
import type { ChunkRecord, EvaluationStore, RecordOutcome, TaskEntity, TaskState } from '@app/persistence';
import { EvaluateChunkUseCase, SOFT_LIMIT_REACHED } from './evaluate-chunk.usecase';
import type { RecordScorer } from './record-scorer';

const TASK_ID = 'task-1';

const SPEC: TaskSpec = {
  sources: [{ id: 'src', type: DataSourceType.API, url: 'u' }],
  llm: { model: 'm' },
  dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.5 }],
};

const TASK = {
  id: TASK_ID,
  status: TaskStatus.RUNNING,
  stage: TaskStage.EVALUATE,
  chunksTotal: 2,
  chunksDone: 0,
  recordsTotal: 3,
  spec: SPEC,
} as TaskEntity;

function state(overrides: Partial<TaskState> = {}): TaskState {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    chunksTotal: 2,
    chunksDone: 1,
    recordsTotal: 3,
    priority: TaskPriority.NORMAL,
    ...overrides,
  };
}

function chunkRecords(...ids: string[]): ChunkRecord[] {
  return ids.map((recordId) => ({ sourceId: 'src', recordId, content: `content of ${recordId}`, fields: {} }));
}

function setup(options: { done?: boolean; records?: ChunkRecord[]; after?: TaskState | undefined } = {}) {
  const evaluations = {
    isChunkDone: jest.fn(async () => options.done ?? false),
    // As the store: a stored chunk has no records left to evaluate.
    loadChunk: jest.fn(async (_taskId: string, _chunk: number) => ({
      task: TASK,
      records: options.done ? [] : (options.records ?? chunkRecords('r1', 'r2', 'r3')),
    })),
    saveChunk: jest.fn(async (_taskId: string, _chunk: number, _outcomes: readonly RecordOutcome[]) =>
      'after' in options ? options.after : state(),
    ),
  };
  const scorer = {
    score: jest.fn(
      async (record: ChunkRecord): Promise<RecordOutcome> =>
        record.recordId.startsWith('bad')
          ? { sourceId: record.sourceId, recordId: record.recordId, error: 'dim1: boom' }
          : {
              sourceId: record.sourceId,
              recordId: record.recordId,
              scores: { dim1: 0.7 },
              analyses: { dim1: { score: 0.7 } },
            },
    ),
  };
  const useCase = new EvaluateChunkUseCase(
    evaluations as unknown as EvaluationStore,
    scorer as unknown as RecordScorer,
    2,
  );
  // As the runner does: the job's load, then its work on what was loaded.
  const execute = async (chunk: number, signal: AbortSignal = live(), task: TaskEntity = TASK) => {
    const loaded = await useCase.load({ taskId: TASK_ID, chunk });
    if (!loaded) throw new Error('the store found no task');
    return useCase.execute({ taskId: TASK_ID, chunk }, task, signal, loaded.work);
  };
  return { useCase, execute, evaluations, scorer };
}

const live = (): AbortSignal => new AbortController().signal;

describe(EvaluateChunkUseCase.name, () => {
  it('is skipped for a chunk that was counted already, without scoring', async () => {
    const { execute, scorer, evaluations } = setup({ done: true });

    await expect(execute(1)).resolves.toEqual(skipped('already-done'));
    expect(evaluations.loadChunk).toHaveBeenCalledWith(TASK_ID, 1);
    expect(evaluations.isChunkDone).toHaveBeenCalledWith(TASK_ID, 1);
    expect(scorer.score).not.toHaveBeenCalled();
    expect(evaluations.saveChunk).not.toHaveBeenCalled();
  });

  it("loads the task with the chunk's records, and nothing when the task is gone", async () => {
    const { useCase, evaluations } = setup();
    await expect(useCase.load({ taskId: TASK_ID, chunk: 1 })).resolves.toEqual({
      task: TASK,
      work: chunkRecords('r1', 'r2', 'r3'),
    });
    evaluations.loadChunk.mockResolvedValueOnce(undefined as never);
    await expect(useCase.load({ taskId: TASK_ID, chunk: 1 })).resolves.toBeUndefined();
  });

  it("asks for the chunk's marker only when it finds no records, and stores an empty chunk that is not stored", async () => {
    const withRecords = setup();
    await withRecords.execute(1);
    expect(withRecords.evaluations.isChunkDone).not.toHaveBeenCalled();

    const empty = setup({ records: [] });
    await expect(empty.execute(2)).resolves.toMatchObject({ kind: 'done', detail: { chunk: 2, evaluated: 0 } });
    expect(empty.evaluations.isChunkDone).toHaveBeenCalledWith(TASK_ID, 2);
    expect(empty.evaluations.saveChunk).toHaveBeenCalledWith(TASK_ID, 2, [], {});
  });

  it("scores every record of the chunk and saves an outcome for each, in the chunk's order", async () => {
    const records = chunkRecords('r1', 'bad2', 'r3', 'r4', 'bad5');
    const { execute, evaluations, scorer } = setup({ records });
    const job = new AbortController();
    const { signal } = job;

    const outcome = await execute(3, signal);

    expect(evaluations.loadChunk).toHaveBeenCalledWith(TASK_ID, 3);
    expect(scorer.score).toHaveBeenCalledTimes(records.length);
    for (const [record, spec, passed] of scorer.score.mock.calls as unknown as [ChunkRecord, TaskSpec, AbortSignal][]) {
      expect(records).toContain(record);
      expect(spec).toBe(SPEC);
      // One that follows the job's signal while the call runs (mapWithConcurrency's spec shows how).
      expect(passed.aborted).toBe(false);
    }
    expect(evaluations.saveChunk).toHaveBeenCalledTimes(1);
    const [taskId, chunk, outcomes] = evaluations.saveChunk.mock.calls[0];
    expect(taskId).toBe(TASK_ID);
    expect(chunk).toBe(3);
    expect(outcomes.map((entry) => entry.recordId)).toEqual(['r1', 'bad2', 'r3', 'r4', 'bad5']);
    expect(outcomes.filter((entry) => 'error' in entry).map((entry) => entry.recordId)).toEqual(['bad2', 'bad5']);
    expect(outcome).toEqual(done(state(), { chunk: 3, evaluated: 3, failed: 2 }));
  });

  it('past the soft time limit scores nothing: every record of the chunk is saved as not evaluated', async () => {
    const { execute, scorer, evaluations } = setup();

    await execute(1, live(), { ...TASK, softLimitedAt: new Date() });

    expect(scorer.score).not.toHaveBeenCalled();
    const [[, , outcomes]] = evaluations.saveChunk.mock.calls;
    expect(outcomes).toEqual(
      ['r1', 'r2', 'r3'].map((recordId) => ({ sourceId: 'src', recordId, error: SOFT_LIMIT_REACHED })),
    );
  });

  it('is done with the state the fan-in left, in evaluate or moved on to generate', async () => {
    const stays = state({ chunksDone: 1 });
    await expect(setup({ after: stays }).execute(0)).resolves.toEqual(
      done(stays, { chunk: 0, evaluated: 3, failed: 0 }),
    );
    const movedOn = state({ stage: TaskStage.GENERATE, chunksDone: 2 });
    await expect(setup({ after: movedOn }).execute(1)).resolves.toEqual(
      done(movedOn, { chunk: 1, evaluated: 3, failed: 0 }),
    );
  });

  it('is skipped when saving finds the task ended or gone', async () => {
    await expect(setup({ after: undefined }).execute(0)).resolves.toEqual(skipped('task-ended'));
  });

  it('propagates a failure of the scorer (the task abort) without saving the chunk', async () => {
    const { execute, scorer, evaluations } = setup();
    scorer.score.mockRejectedValueOnce(new Error('aborted'));

    await expect(execute(0)).rejects.toThrow('aborted');
    expect(evaluations.saveChunk).not.toHaveBeenCalled();
  });

  it('describes a done job in one line (the form the e2e tests read from the log)', () => {
    expect(setup().useCase.describe({ chunk: 3, evaluated: 3, failed: 2 })).toBe('chunk 3: 3/5 record(s) evaluated');
  });

  it('broadcasts the chunk as live clients read it', () => {
    expect(setup().useCase.progress(state(), { chunk: 0, evaluated: 3, failed: 0 })).toBe(
      'chunk 0: 3 record(s) evaluated, 0 failed',
    );
  });
});
