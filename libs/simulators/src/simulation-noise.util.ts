export interface LatencyRange {
  min: number;
  max: number;
}

export function assertLatencyRange(range: LatencyRange): void {
  if (!(range.min >= 0 && range.max >= range.min)) {
    throw new RangeError(`latency range must satisfy 0 <= min <= max, got ${range.min}..${range.max}`);
  }
}

export function assertProbability(name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be within [0, 1], got ${value}`);
}

export function drawLatencyMs(range: LatencyRange, random: () => number): number {
  return Math.round(range.min + random() * (range.max - range.min));
}

/** True with probability `rate`; `random` returns [0, 1), so a rate of 1 always fails and 0 never does. */
export function drawFailure(rate: number, random: () => number): boolean {
  return random() < rate;
}
