import { percentile, scoreStatistics } from './score-statistics';

describe(scoreStatistics.name, () => {
  it('is defined and all zeros for an empty set', () => {
    expect(scoreStatistics([], 0.5)).toEqual({
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

  it('describes a single value: every statistic is that value, no spread', () => {
    expect(scoreStatistics([0.7], 0.7)).toEqual({
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

  it('computes an even-sized set by hand, whatever the input order', () => {
    // sorted 0.2 0.4 0.6 0.8; median at rank 1.5 -> 0.5; p90 at rank 2.7 -> 0.6 + 0.7 * 0.2 = 0.74;
    // population variance (0.09 + 0.01 + 0.01 + 0.09) / 4 = 0.05 -> stddev 0.2236 (the sample formula would give 0.2582)
    expect(scoreStatistics([0.8, 0.2, 0.6, 0.4], 0.6)).toEqual({
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

  it('computes an odd-sized set by hand', () => {
    // sorted 0.1 0.5 0.9; median is the middle value; p90 at rank 1.8 -> 0.5 + 0.8 * 0.4 = 0.82;
    // population variance (0.16 + 0 + 0.16) / 3 = 0.10667 -> stddev 0.3266
    expect(scoreStatistics([0.9, 0.1, 0.5], 0.95)).toEqual({
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

  it('counts a score equal to the threshold as passed (>=)', () => {
    const statistics = scoreStatistics([0.59, 0.6, 0.61], 0.6);
    expect(statistics.passed).toBe(2);
    expect(statistics.pass_rate).toBe(0.6667);
  });

  it('rounds derived values to 4 decimals', () => {
    const statistics = scoreStatistics([0, 1, 1], 0.5);
    expect(statistics.mean).toBe(0.6667);
    expect(statistics.pass_rate).toBe(0.6667);
    expect(statistics.stddev).toBe(0.4714); // sqrt(2/9)
  });

  it('does not reorder the caller’s array', () => {
    const scores = [0.9, 0.1, 0.5];
    scoreStatistics(scores, 0.5);
    expect(scores).toEqual([0.9, 0.1, 0.5]);
  });
});

describe(percentile.name, () => {
  it('interpolates linearly between the closest ranks', () => {
    expect(percentile([10, 20, 30, 40], 0.25)).toBeCloseTo(17.5, 10);
    expect(percentile([10, 20, 30, 40], 0.5)).toBeCloseTo(25, 10);
    expect(percentile([10, 20, 30, 40], 0.9)).toBeCloseTo(37, 10);
  });

  it('returns the exact value when the rank is whole', () => {
    expect(percentile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5], 0.25)).toBe(2);
  });

  it('gives the minimum at 0 and the maximum at 1', () => {
    expect(percentile([3, 7, 9], 0)).toBe(3);
    expect(percentile([3, 7, 9], 1)).toBe(9);
  });

  it('returns the only value of a single-element set at any fraction', () => {
    expect(percentile([0.42], 0.9)).toBe(0.42);
    expect(percentile([0.42], 0.1)).toBe(0.42);
  });
});
