import type { ScoreStatisticsDto } from '@app/contracts';
import type { ScoreFigures } from '@app/persistence';

/** A dimension's statistics as the result shows them: the figures rounded to four places. */
export function toScoreStatistics(figures: ScoreFigures): ScoreStatisticsDto {
  const { count, passed } = figures;
  return {
    count,
    passed,
    pass_rate: count === 0 ? 0 : round(passed / count),
    mean: round(figures.mean),
    min: figures.min,
    max: figures.max,
    median: round(figures.median),
    p90: round(figures.p90),
    stddev: round(figures.stddev),
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
