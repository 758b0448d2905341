import type { TaskSpec, DimensionSpec, DimensionResultDto, LlmUsage, TaskResultDto } from '@app/contracts';
import { AnalysisKind, DataSourceType, TaskStage, TaskStatus } from '@app/contracts';
import type { TaskEventsPublisher } from '@app/pipeline';
import { done, skipped } from '@app/pipeline';
import type {
  DimensionThreshold,
  GenerationStore,
  NewDelivery,
  RecordScore,
  ScoreRequest,
  TaskEntity,
} from '@app/persistence';
import type { DimensionInputs, DimensionReporter } from './dimension-reporter';
import type { DimensionSave } from './dimension-statements';
import { GenerateResultUseCase } from './generate-result.usecase';
import { toScoreStatistics } from './score-statistics';

const TASK_ID = 'task-1';

const DIMENSIONS = [
  { id: 'dim1', name: 'Quality', threshold: 0.6 },
  { id: 'dim2', name: 'Relevance', threshold: 0.5 },
  { id: 'dim3', name: 'Tone', threshold: 0.4 },
] satisfies DimensionSpec[];

const SPEC: TaskSpec = {
  sources: [{ id: 's', type: DataSourceType.API, url: 'u' }],
  llm: { model: 'm' },
  dimensions: DIMENSIONS,
};

const TASK = {
  id: TASK_ID,
  status: TaskStatus.RUNNING,
  stage: TaskStage.GENERATE,
  spec: SPEC,
  // Final once the task is in generate: the result carries them as loaded.
  recordsEvaluated: 7,
  recordsFailed: 2,
  recordsDropped: 3,
  sourcesFailed: 1,
  dimensionsDone: 0,
} as TaskEntity;

function dimensionResult(dimension: DimensionSpec, summary: string): DimensionResultDto {
  return {
    dimension_id: dimension.id,
    name: dimension.name,
    kind: AnalysisKind.SCORE,
    threshold: dimension.threshold ?? null,
    statistics: toScoreStatistics({
      count: 1,
      passed: 1,
      mean: 0.9,
      min: 0.9,
      max: 0.9,
      median: 0.9,
      p90: 0.9,
      stddev: 0,
    }),
    passed_records: [],
    summary,
  };
}

const SUMMARY_USAGE: LlmUsage = { promptTokens: 30, completionTokens: 20, calls: 1, cacheHits: 0 };

function setup(
  options: { finished?: DimensionResultDto[]; completed?: TaskStatus | undefined; task?: TaskEntity } = {},
) {
  // As the task row counts them: one per stored dimension.
  const base = options.task ?? TASK;
  const task = options.finished ? { ...base, dimensionsDone: options.finished.length } : base;
  const scoresByDimension = new Map<string, RecordScore[]>(
    DIMENSIONS.map((d) => [d.id, [{ sourceId: 's', recordId: `${d.id}-r`, score: 0.9 }]]),
  );
  const generation = {
    finishedDimensions: jest.fn(
      async () => new Map((options.finished ?? []).map((result) => [result.dimension_id, result])),
    ),
    dimensionScores: jest.fn(async (_taskId: string, requests: ScoreRequest[], _passingAll: DimensionThreshold[]) => ({
      byDimension: new Map(
        requests.map(({ dimensionId }) => [dimensionId, { passed: scoresByDimension.get(dimensionId) ?? [] }]),
      ),
      passingAll: 4,
    })),
    analyses: jest.fn(),
    chainOutputs: jest.fn(async function* () {
      yield* [
        { n: 1, c: 'a' },
        { n: 2, c: 'b' },
        { n: 'x', c: 'a' },
        { n: 4, c: 'a' },
      ];
    }),
    saveDimensions: jest.fn(async (_taskId: string, _saves: DimensionSave[]) => undefined),
    countPassingAll: jest.fn(async () => 5),
    complete: jest.fn(async (_taskId: string, _result: TaskResultDto, _deliveries: NewDelivery[]) =>
      'completed' in options ? options.completed : TaskStatus.COMPLETED,
    ),
  };
  const reporter = {
    report: jest.fn(
      async (_spec: TaskSpec, dimension: DimensionSpec, _inputs: DimensionInputs, _signal: AbortSignal) => ({
        result: dimensionResult(dimension, `fresh ${dimension.id}`),
        usage: SUMMARY_USAGE,
      }),
    ),
  };
  const events = { progress: jest.fn() };
  const useCase = new GenerateResultUseCase(
    generation as unknown as GenerationStore,
    events as unknown as TaskEventsPublisher,
    reporter as unknown as DimensionReporter,
    2,
  );
  const execute = (signal: AbortSignal = live()) => useCase.execute({ taskId: TASK_ID }, task, signal);
  return { useCase, execute, generation, reporter, events, scoresByDimension };
}

const live = (): AbortSignal => new AbortController().signal;

/** Every dimension stored, with the task it was stored for, whichever statement stored it. */
function savedDimensions(generation: ReturnType<typeof setup>['generation']): [string, DimensionSave][] {
  return generation.saveDimensions.mock.calls.flatMap(([taskId, saves]) =>
    saves.map((save): [string, DimensionSave] => [taskId, save]),
  );
}

describe(GenerateResultUseCase.name, () => {
  it('reports every dimension, saves each, and completes the task with the combined result', async () => {
    const { execute, generation, reporter, scoresByDimension } = setup();
    const job = new AbortController();
    const { signal } = job;

    await expect(execute(signal)).resolves.toEqual(
      done({ ...TASK, status: TaskStatus.COMPLETED }, { dimensions: 3, reported: 3 }),
    );

    expect(reporter.report).toHaveBeenCalledTimes(3);
    for (const [spec, dimension, inputs, passed] of reporter.report.mock.calls) {
      expect(spec).toBe(SPEC);
      // The inputs read the store for this task and dimension.
      const limits = { passed: 100, best: 10 };
      await expect(inputs.scores(0.5, limits)).resolves.toEqual({ passed: scoresByDimension.get(dimension.id) });
      expect(generation.dimensionScores).toHaveBeenLastCalledWith(
        TASK_ID,
        [{ dimensionId: dimension.id, threshold: 0.5, limits }],
        DIMENSIONS.map(({ id, threshold }) => ({ id, threshold })),
      );
      // One that follows the job's signal while the call runs (mapWithConcurrency's spec shows how).
      expect(passed.aborted).toBe(false);
    }
    const saved = savedDimensions(generation);
    expect(saved.every(([taskId, { usage }]) => taskId === TASK_ID && usage === SUMMARY_USAGE)).toBe(true);
    expect(saved.map(([, { result }]) => result.dimension_id).sort()).toEqual(['dim1', 'dim2', 'dim3']);
    // The two dimensions reported at once finished together: one statement stored both.
    expect(generation.saveDimensions.mock.calls.map(([, saves]) => saves.length)).toEqual([2, 1]);

    expect(generation.complete).toHaveBeenCalledTimes(1);
    const [taskId, result] = generation.complete.mock.calls[0];
    expect(taskId).toBe(TASK_ID);
    expect(result.dimensions.map((d) => d.dimension_id)).toEqual(['dim1', 'dim2', 'dim3']);
    expect(result).toMatchObject({
      passed_all_dimensions: 5,
      records_evaluated: 7,
      records_failed: 2,
      records_dropped: 3,
      sources_failed: 1,
    });
    expect(result).not.toHaveProperty('aggregates');
    expect(generation.chainOutputs).not.toHaveBeenCalled();
    expect(generation.complete.mock.calls[0][2]).toEqual([]);
    expect(new Date(result.generated_at).toISOString()).toBe(result.generated_at);
    expect(generation.countPassingAll).toHaveBeenCalledWith(
      TASK_ID,
      DIMENSIONS.map(({ id, threshold }) => ({ id, threshold })),
    );
  });

  it("reads the scores its dimensions ask for together in one statement, with the result's passing count", async () => {
    const { execute, generation, reporter } = setup();
    const limits = { passed: 100, best: 10 };
    reporter.report.mockImplementation(async (_spec, dimension, inputs) => {
      await inputs.scores(0.5, limits);
      return { result: dimensionResult(dimension, `fresh ${dimension.id}`), usage: SUMMARY_USAGE };
    });

    await execute();

    // Two dimensions at a time (the concurrency): the first two read together, the third after.
    expect(generation.dimensionScores.mock.calls.map(([, requests]) => requests.map((r) => r.dimensionId))).toEqual([
      ['dim1', 'dim2'],
      ['dim3'],
    ]);
    expect(generation.countPassingAll).not.toHaveBeenCalled();
    expect(generation.complete.mock.calls[0][1]).toMatchObject({ passed_all_dimensions: 4 });
  });

  it('reuses the dimensions finished by an earlier run and reports only the missing ones', async () => {
    const stored = dimensionResult(DIMENSIONS[1], 'stored dim2');
    const { execute, generation, reporter } = setup({ finished: [stored] });

    await expect(execute()).resolves.toMatchObject({ kind: 'done', detail: { dimensions: 3, reported: 2 } });

    expect(reporter.report.mock.calls.map(([, dimension]) => dimension.id).sort()).toEqual(['dim1', 'dim3']);
    expect(
      savedDimensions(generation)
        .map(([, { result }]) => result.dimension_id)
        .sort(),
    ).toEqual(['dim1', 'dim3']);
    const [, result] = generation.complete.mock.calls[0];
    expect(result.dimensions.map((d) => d.summary)).toEqual(['fresh dim1', 'stored dim2', 'fresh dim3']);
    expect(result.dimensions[1]).toBe(stored);
  });

  it('reads no stored dimensions of a task that has none counted', async () => {
    const { execute, generation } = setup();
    await execute();
    expect(generation.finishedDimensions).not.toHaveBeenCalled();
  });

  it('does not call the reporter at all when every dimension was finished already', async () => {
    const { execute, reporter, generation } = setup({
      finished: DIMENSIONS.map((d) => dimensionResult(d, `stored ${d.id}`)),
    });

    await expect(execute()).resolves.toMatchObject({ kind: 'done', detail: { dimensions: 3, reported: 0 } });
    expect(reporter.report).not.toHaveBeenCalled();
    expect(generation.saveDimensions).not.toHaveBeenCalled();
    expect(generation.complete).toHaveBeenCalledTimes(1);
  });

  it('is skipped, the result discarded, when the task ended meanwhile (complete() returns undefined)', async () => {
    await expect(setup({ completed: undefined }).execute()).resolves.toEqual(skipped('task-ended'));
  });

  it('passes the final status returned by complete() through', async () => {
    const { execute } = setup({ completed: TaskStatus.COMPLETED_WITH_ERRORS });
    await expect(execute()).resolves.toMatchObject({
      kind: 'done',
      task: { status: TaskStatus.COMPLETED_WITH_ERRORS, stage: TaskStage.GENERATE },
    });
  });

  it('propagates a reporter failure without completing the task', async () => {
    const { execute, reporter, generation } = setup();
    reporter.report.mockRejectedValueOnce(new Error('cancelled'));

    await expect(execute()).rejects.toThrow('cancelled');
    expect(generation.complete).not.toHaveBeenCalled();
  });

  it('describes a done job in one line', () => {
    expect(setup().useCase.describe({ dimensions: 3, reported: 1 })).toBe(
      'result stored: 3 dimension(s), 1 reported by this run',
    );
  });

  it('broadcasts the final status', () => {
    expect(setup().useCase.progress({ ...TASK, status: TaskStatus.COMPLETED })).toBe('finished: completed');
  });

  it('computes the chain’s aggregates over the records and queues the outputs with the result', async () => {
    const spec: TaskSpec = {
      ...SPEC,
      dimensions: [],
      processing: {
        steps: [
          { type: 'aggregate', field: 'n', ops: ['sum', 'count'] },
          { type: 'aggregate', field: 'n', ops: ['max'], group_by: 'c' },
        ],
      },
      outputs: [
        { type: 'export', format: 'csv', to: 'webhook', url: 'http://127.0.0.1:1/hook' },
        { type: 'email', to: ['ops@example.test'] },
      ],
    };
    const { execute, generation, reporter } = setup({ task: { ...TASK, spec } });

    await expect(execute()).resolves.toMatchObject({ kind: 'done', detail: { dimensions: 0, reported: 0 } });

    expect(reporter.report).not.toHaveBeenCalled();
    const [, result, deliveries] = generation.complete.mock.calls[0];
    expect(result.dimensions).toEqual([]);
    expect(result.aggregates).toEqual([
      { field: 'n', values: { sum: 7, count: 3 } },
      {
        field: 'n',
        group_by: 'c',
        groups: [
          { key: 'a', max: 4 },
          { key: 'b', max: 2 },
        ],
      },
    ]);
    expect(deliveries).toEqual([
      { key: 'output:0', kind: 'output.export', spec: spec.outputs![0] },
      { key: 'output:1', kind: 'output.email', spec: spec.outputs![1] },
    ]);
  });
});
