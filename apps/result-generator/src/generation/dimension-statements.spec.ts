import type { DimensionResultDto, LlmUsage } from '@app/contracts';
import type { DimensionScores, DimensionThreshold, ScoreRequest } from '@app/persistence';
import type { DimensionSave } from './dimension-statements';
import { DimensionStatements } from './dimension-statements';

const LIMITS = { passed: 100, best: 10 };
const THRESHOLDS: DimensionThreshold[] = [{ id: 'dim1', threshold: 0.5 }];
const USAGE: LlmUsage = { promptTokens: 3, completionTokens: 2, calls: 1, cacheHits: 0 };

function scoresFor(dimensionId: string): DimensionScores {
  return {
    figures: { count: 1, passed: 1, mean: 0.9, min: 0.9, max: 0.9, median: 0.9, p90: 0.9, stddev: 0 },
    passed: [{ sourceId: 's', recordId: dimensionId, score: 0.9 }],
    best: [],
  };
}

const resultOf = (dimensionId: string) => ({ dimension_id: dimensionId }) as DimensionResultDto;

function fakeStore(answer: (requests: ScoreRequest[]) => string[] = (requests) => requests.map((r) => r.dimensionId)) {
  return {
    dimensionScores: jest.fn(async (_taskId: string, requests: ScoreRequest[], _thresholds: DimensionThreshold[]) => ({
      byDimension: new Map(answer(requests).map((id) => [id, scoresFor(id)])),
      passingAll: 7,
    })),
    countPassingAll: jest.fn(async () => 3),
    saveDimensions: jest.fn(async (_taskId: string, _saves: readonly DimensionSave[]) => undefined),
  };
}

describe(DimensionStatements.name, () => {
  it('answers the score reads of one turn of the event loop with one statement, each its own dimension', async () => {
    const store = fakeStore();
    const statements = new DimensionStatements(store, 'task-1', THRESHOLDS, 3);

    const [one, two] = await Promise.all([
      statements.readScores('dim1', 0.5, LIMITS),
      statements.readScores('dim2', 0, LIMITS),
    ]);

    expect(one).toEqual(scoresFor('dim1'));
    expect(two).toEqual(scoresFor('dim2'));
    expect(store.dimensionScores).toHaveBeenCalledTimes(1);
    expect(store.dimensionScores).toHaveBeenCalledWith(
      'task-1',
      [
        { dimensionId: 'dim1', threshold: 0.5, limits: LIMITS },
        { dimensionId: 'dim2', threshold: 0, limits: LIMITS },
      ],
      THRESHOLDS,
    );
  });

  it('counts the records passing every threshold with the reads, and alone when nothing was read', async () => {
    const read = fakeStore();
    const afterRead = new DimensionStatements(read, 'task-1', THRESHOLDS, 1);
    await afterRead.readScores('dim1', 0.5, LIMITS);
    expect(await afterRead.passingAll()).toBe(7);
    expect(read.countPassingAll).not.toHaveBeenCalled();

    const unread = fakeStore();
    expect(await new DimensionStatements(unread, 'task-1', THRESHOLDS, 0).passingAll()).toBe(3);
    expect(unread.countPassingAll).toHaveBeenCalledWith('task-1', THRESHOLDS);
  });

  it('fails a read the statement did not answer, rather than report a dimension without scores', async () => {
    const statements = new DimensionStatements(
      fakeStore(() => []),
      'task-1',
      THRESHOLDS,
      1,
    );
    await expect(statements.readScores('dim1', 0.5, LIMITS)).rejects.toThrow('no scores read for dimension dim1');
  });

  it('stores the dimensions finished in one turn together, and a later one on its own', async () => {
    const store = fakeStore();
    const statements = new DimensionStatements(store, 'task-1', THRESHOLDS, 3);

    await Promise.all([
      statements.saveDimension(resultOf('dim1'), USAGE),
      statements.saveDimension(resultOf('dim2'), USAGE),
    ]);
    await statements.saveDimension(resultOf('dim3'), USAGE);

    expect(store.saveDimensions.mock.calls).toEqual([
      [
        'task-1',
        [
          { result: resultOf('dim1'), usage: USAGE },
          { result: resultOf('dim2'), usage: USAGE },
        ],
      ],
      ['task-1', [{ result: resultOf('dim3'), usage: USAGE }]],
    ]);
  });

  it('fails every dimension of a statement that fails, so none is taken for stored', async () => {
    const store = fakeStore();
    store.saveDimensions.mockRejectedValueOnce(new Error('connection lost'));
    const statements = new DimensionStatements(store, 'task-1', THRESHOLDS, 2);
    const saves = [
      statements.saveDimension(resultOf('dim1'), USAGE),
      statements.saveDimension(resultOf('dim2'), USAGE),
    ];
    for (const save of saves) await expect(save).rejects.toThrow('connection lost');
  });
});
