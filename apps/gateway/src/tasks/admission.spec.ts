import type { TaskSpec } from '@app/contracts';
import { DataSourceType } from '@app/contracts';
import { oversizeFields } from './admission';

const limits = { maxRecordsPerTask: 1_000, maxScoresPerTask: 2_000, maxActiveTasks: 10 };

function spec(recordsPerSource: number[], dimensions: number): TaskSpec {
  return {
    sources: recordsPerSource.map((records, index) => ({
      id: `s${index}`,
      type: DataSourceType.API,
      simulation: { records },
    })),
    llm: { model: 'm' },
    dimensions: Array.from({ length: dimensions }, (_, index) => ({ id: `d${index}`, name: 'n', threshold: 0.5 })),
  };
}

describe(oversizeFields.name, () => {
  it('takes a task within every limit, up to the limits themselves', () => {
    expect(oversizeFields(spec([500, 500], 2), limits)).toEqual([]);
  });

  it('names the sources when the task declares too many records in all', () => {
    expect(oversizeFields(spec([600, 401], 1), limits)).toEqual([
      { field: 'data_sources', reasons: [expect.stringMatching(/1001 records .* at most 1000/)] },
    ]);
  });

  it('names the dimensions when records × dimensions is too many scores', () => {
    expect(oversizeFields(spec([700], 3), limits)).toEqual([
      {
        field: 'dimensions',
        reasons: [expect.stringMatching(/3 dimensions × 700 records = 2100 scores; .* at most 2000/)],
      },
    ]);
  });

  it("counts an inline source's records", () => {
    const inline: TaskSpec = {
      ...spec([], 1),
      sources: [{ id: 'in', type: DataSourceType.INLINE, records: Array.from({ length: 1001 }, () => ({})) }],
    };
    expect(oversizeFields(inline, limits)).toEqual([
      { field: 'data_sources', reasons: [expect.stringMatching(/1001 records .* at most 1000/)] },
    ]);
  });
});
