import type { DimensionScores, DimensionThreshold, ScoreRequest } from '@app/persistence';
import { TaskScores } from './task-scores';

const LIMITS = { passed: 100, best: 10 };
const THRESHOLDS: DimensionThreshold[] = [{ id: 'dim1', threshold: 0.5 }];

function scoresFor(dimensionId: string): DimensionScores {
  return {
    figures: { count: 1, passed: 1, mean: 0.9, min: 0.9, max: 0.9, median: 0.9, p90: 0.9, stddev: 0 },
    passed: [{ sourceId: 's', recordId: dimensionId, score: 0.9 }],
    best: [],
  };
}

function fakeStore(answer: (requests: ScoreRequest[]) => string[] = (requests) => requests.map((r) => r.dimensionId)) {
  return {
    dimensionScores: jest.fn(async (_taskId: string, requests: ScoreRequest[], _thresholds: DimensionThreshold[]) => ({
      byDimension: new Map(answer(requests).map((id) => [id, scoresFor(id)])),
      passingAll: 7,
    })),
    countPassingAll: jest.fn(async () => 3),
  };
}

describe(TaskScores.name, () => {
  it('answers the reads of one turn of the event loop with one statement, each its own dimension', async () => {
    const store = fakeStore();
    const scores = new TaskScores(store, 'task-1', THRESHOLDS, 3);

    const [one, two] = await Promise.all([scores.read('dim1', 0.5, LIMITS), scores.read('dim2', 0, LIMITS)]);

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
    const afterRead = new TaskScores(read, 'task-1', THRESHOLDS, 1);
    await afterRead.read('dim1', 0.5, LIMITS);
    expect(await afterRead.passingAll()).toBe(7);
    expect(read.countPassingAll).not.toHaveBeenCalled();

    const unread = fakeStore();
    expect(await new TaskScores(unread, 'task-1', THRESHOLDS, 0).passingAll()).toBe(3);
    expect(unread.countPassingAll).toHaveBeenCalledWith('task-1', THRESHOLDS);
  });

  it('fails a read the statement did not answer, rather than report a dimension without scores', async () => {
    const scores = new TaskScores(
      fakeStore(() => []),
      'task-1',
      THRESHOLDS,
      1,
    );
    await expect(scores.read('dim1', 0.5, LIMITS)).rejects.toThrow('no scores read for dimension dim1');
  });
});
