import type { TaskSpec } from '@app/contracts';
import { DataSourceType, TaskStage, TaskStatus } from '@app/contracts';
import type { StageDispatcher, TaskEventsPublisher } from '@app/pipeline';
import type { ChunkRecord, EvaluationStore, RecordOutcome, TaskRepository, TaskState } from '@app/persistence';
import { EvaluateChunkUseCase } from './evaluate-chunk.usecase';
import type { RecordScorer } from './record-scorer';

const TASK_ID = 'task-1';

const SPEC: TaskSpec = {
  sources: [{ id: 'src', type: DataSourceType.API, url: 'u' }],
  llm: { model: 'm' },
  dimensions: [{ id: 'dim1', name: 'Quality', threshold: 0.5 }],
};

function task(overrides: { status?: TaskStatus; stage?: TaskStage | null } = {}) {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    chunksTotal: 2,
    chunksDone: 0,
    recordsTotal: 3,
    spec: SPEC,
    ...overrides,
  };
}

function state(overrides: Partial<TaskState> = {}): TaskState {
  return {
    id: TASK_ID,
    status: TaskStatus.RUNNING,
    stage: TaskStage.EVALUATE,
    chunksTotal: 2,
    chunksDone: 1,
    recordsTotal: 3,
    ...overrides,
  };
}

function chunkRecords(...ids: string[]): ChunkRecord[] {
  return ids.map((recordId) => ({ sourceId: 'src', recordId, content: `content of ${recordId}`, fields: {} }));
}

function setup(
  options: {
    found?: ReturnType<typeof task> | null;
    done?: boolean;
    records?: ChunkRecord[];
    after?: TaskState | undefined;
  } = {},
) {
  const tasks = { findById: jest.fn(async () => ('found' in options ? options.found : task())) };
  const evaluations = {
    isChunkDone: jest.fn(async () => options.done ?? false),
    chunkRecords: jest.fn(async () => options.records ?? chunkRecords('r1', 'r2', 'r3')),
    saveChunk: jest.fn(async (_taskId: string, _chunk: number, _outcomes: readonly RecordOutcome[]) =>
      'after' in options ? options.after : state(),
    ),
  };
  const dispatcher = { dispatch: jest.fn(async () => undefined) };
  const events = { progress: jest.fn() };
  const scorer = {
    score: jest.fn(
      async (record: ChunkRecord): Promise<RecordOutcome> =>
        record.recordId.startsWith('bad')
          ? { sourceId: record.sourceId, recordId: record.recordId, error: 'dim1: boom' }
          : { sourceId: record.sourceId, recordId: record.recordId, scores: { dim1: 0.7 } },
    ),
  };
  const useCase = new EvaluateChunkUseCase(
    tasks as unknown as TaskRepository,
    evaluations as unknown as EvaluationStore,
    dispatcher as unknown as StageDispatcher,
    events as unknown as TaskEventsPublisher,
    scorer as unknown as RecordScorer,
    2,
  );
  return { useCase, tasks, evaluations, dispatcher, events, scorer };
}

const live = (): AbortSignal => new AbortController().signal;

describe(EvaluateChunkUseCase.name, () => {
  describe('skip paths', () => {
    it('skips a task that does not exist', async () => {
      const { useCase, scorer, evaluations, dispatcher } = setup({ found: null });

      await expect(useCase.execute({ taskId: TASK_ID, chunk: 0 }, live())).resolves.toBe('skipped: task not found');
      expect(scorer.score).not.toHaveBeenCalled();
      expect(evaluations.saveChunk).not.toHaveBeenCalled();
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
    });

    it('skips a task that is not running (e.g. cancelled)', async () => {
      const { useCase, scorer, evaluations, dispatcher } = setup({ found: task({ status: TaskStatus.CANCELLED }) });

      await expect(useCase.execute({ taskId: TASK_ID, chunk: 0 }, live())).resolves.toBe('skipped: task is cancelled');
      expect(scorer.score).not.toHaveBeenCalled();
      expect(evaluations.saveChunk).not.toHaveBeenCalled();
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
    });

    it('re-dispatches a task that is already past evaluate, without scoring', async () => {
      const past = task({ stage: TaskStage.GENERATE });
      const { useCase, scorer, evaluations, dispatcher } = setup({ found: past });

      await expect(useCase.execute({ taskId: TASK_ID, chunk: 1 }, live())).resolves.toBe(
        'skipped: task is past evaluate (generate)',
      );
      expect(dispatcher.dispatch).toHaveBeenCalledTimes(1);
      expect(dispatcher.dispatch).toHaveBeenCalledWith(past);
      expect(scorer.score).not.toHaveBeenCalled();
      expect(evaluations.saveChunk).not.toHaveBeenCalled();
    });

    it('does nothing for a chunk that was counted already', async () => {
      const { useCase, scorer, evaluations, dispatcher, events } = setup({ done: true });

      await expect(useCase.execute({ taskId: TASK_ID, chunk: 1 }, live())).resolves.toBe(
        'skipped: chunk 1 already counted',
      );
      expect(evaluations.isChunkDone).toHaveBeenCalledWith(TASK_ID, 1);
      expect(evaluations.chunkRecords).not.toHaveBeenCalled();
      expect(scorer.score).not.toHaveBeenCalled();
      expect(evaluations.saveChunk).not.toHaveBeenCalled();
      expect(dispatcher.dispatch).not.toHaveBeenCalled();
      expect(events.progress).not.toHaveBeenCalled();
    });
  });

  it("scores every record of the chunk and saves an outcome for each, in the chunk's order", async () => {
    const records = chunkRecords('r1', 'bad2', 'r3', 'r4', 'bad5');
    const { useCase, evaluations, scorer } = setup({ records });
    const signal = live();

    const outcome = await useCase.execute({ taskId: TASK_ID, chunk: 3 }, signal);

    expect(evaluations.chunkRecords).toHaveBeenCalledWith(TASK_ID, 3);
    expect(scorer.score).toHaveBeenCalledTimes(records.length);
    for (const [record, spec, passed] of scorer.score.mock.calls as unknown as [ChunkRecord, TaskSpec, AbortSignal][]) {
      expect(records).toContain(record);
      expect(spec).toBe(SPEC);
      expect(passed).toBe(signal);
    }
    expect(evaluations.saveChunk).toHaveBeenCalledTimes(1);
    const [taskId, chunk, outcomes] = evaluations.saveChunk.mock.calls[0];
    expect(taskId).toBe(TASK_ID);
    expect(chunk).toBe(3);
    expect(outcomes.map((entry) => entry.recordId)).toEqual(['r1', 'bad2', 'r3', 'r4', 'bad5']);
    expect(outcomes.filter((entry) => 'error' in entry).map((entry) => entry.recordId)).toEqual(['bad2', 'bad5']);
    expect(outcome).toBe('chunk 3: 3/5 record(s) evaluated, task running/evaluate');
  });

  it('does not dispatch while the task stays in evaluate (other chunks still running)', async () => {
    const { useCase, dispatcher, events } = setup({ after: state({ chunksDone: 1 }) });

    await useCase.execute({ taskId: TASK_ID, chunk: 0 }, live());

    expect(dispatcher.dispatch).not.toHaveBeenCalled();
    expect(events.progress).toHaveBeenCalledWith(state({ chunksDone: 1 }), 'chunk 0: 3 record(s) evaluated, 0 failed');
  });

  it('dispatches the next stage when this chunk moved the task to generate', async () => {
    const after = state({ stage: TaskStage.GENERATE, chunksDone: 2 });
    const { useCase, dispatcher } = setup({ after });

    const outcome = await useCase.execute({ taskId: TASK_ID, chunk: 1 }, live());

    expect(dispatcher.dispatch).toHaveBeenCalledTimes(1);
    expect(dispatcher.dispatch).toHaveBeenCalledWith(after);
    expect(outcome).toBe('chunk 1: 3/3 record(s) evaluated, task running/generate');
  });

  it('returns "task vanished" and dispatches nothing when saving finds no task', async () => {
    const { useCase, dispatcher, events } = setup({ after: undefined });

    await expect(useCase.execute({ taskId: TASK_ID, chunk: 0 }, live())).resolves.toBe('skipped: task vanished');
    expect(dispatcher.dispatch).not.toHaveBeenCalled();
    expect(events.progress).not.toHaveBeenCalled();
  });

  it('propagates a failure of the scorer (the task abort) without saving the chunk', async () => {
    const { useCase, scorer, evaluations } = setup();
    scorer.score.mockRejectedValueOnce(new Error('aborted'));

    await expect(useCase.execute({ taskId: TASK_ID, chunk: 0 }, live())).rejects.toThrow('aborted');
    expect(evaluations.saveChunk).not.toHaveBeenCalled();
  });
});
