import type { AggregateFigures, AggregateResult, AggregateStep } from '@app/contracts';
import { cleanFloat } from './step-executors';

interface Tally {
  count: number;
  sum: number;
  min: number;
  max: number;
}

/**
 * One aggregate step folded over the records streamed past it: memory grows with the number of
 * groups, not of records. Values that are not finite numbers are not counted.
 */
export class AggregateAccumulator {
  private readonly tallies = new Map<string | null, Tally>();

  constructor(private readonly step: AggregateStep) {
    if (step.group_by === undefined) this.tallies.set(null, emptyTally());
  }

  add(fields: Record<string, unknown>): void {
    const { field, group_by } = this.step;
    const group = group_by === undefined ? null : groupKey(fields[group_by]);
    let tally = this.tallies.get(group);
    if (!tally) {
      tally = emptyTally();
      this.tallies.set(group, tally);
    }
    const value = fields[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) return;
    tally.count += 1;
    tally.sum += value;
    tally.min = Math.min(tally.min, value);
    tally.max = Math.max(tally.max, value);
  }

  result(): AggregateResult {
    const { field, group_by } = this.step;
    if (group_by === undefined) return { field, values: this.figures(this.tallies.get(null)!) };
    const groups = [...this.tallies.entries()]
      .sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1))
      .map(([key, tally]) => ({ key, ...this.figures(tally) }));
    return { field, group_by, groups };
  }

  private figures(tally: Tally): AggregateFigures {
    const empty = tally.count === 0;
    const all: Required<AggregateFigures> = {
      count: tally.count,
      sum: cleanFloat(tally.sum),
      avg: empty ? null : cleanFloat(tally.sum / tally.count),
      min: empty ? null : tally.min,
      max: empty ? null : tally.max,
    };
    return Object.fromEntries(this.step.ops.map((op) => [op, all[op]]));
  }
}

function emptyTally(): Tally {
  return { count: 0, sum: 0, min: Infinity, max: -Infinity };
}

/** Groups by the value as text; records without the field (or null) form the null group. */
function groupKey(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
