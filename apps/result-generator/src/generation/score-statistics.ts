import type { ScoreStatisticsDto } from '@app/contracts';

/** Statistics of one dimension's scores; pure, and defined (all zeros) for an empty set. */
export function scoreStatistics(scores: readonly number[], threshold: number): ScoreStatisticsDto {
  const count = scores.length;
  if (count === 0) return { count: 0, passed: 0, pass_rate: 0, mean: 0, min: 0, max: 0, median: 0, p90: 0, stddev: 0 };
  const sorted = [...scores].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, score) => sum + score, 0) / count;
  const variance = sorted.reduce((sum, score) => sum + (score - mean) ** 2, 0) / count;
  const passed = sorted.filter((score) => score >= threshold).length;
  return {
    count,
    passed,
    pass_rate: round(passed / count),
    mean: round(mean),
    min: sorted[0],
    max: sorted[count - 1],
    median: round(percentile(sorted, 0.5)),
    p90: round(percentile(sorted, 0.9)),
    stddev: round(Math.sqrt(variance)),
  };
}

/** Linear interpolation between closest ranks (the definition spreadsheets and numpy use by default). */
export function percentile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
