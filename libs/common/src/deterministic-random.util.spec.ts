import { createHash } from 'node:crypto';
import { seededRandom, stableHash, unitInterval } from './deterministic-random.util';

describe('stableHash', () => {
  it('is the sha256 of the parts joined by a unit separator', () => {
    expect(stableHash('a', 1)).toBe(stableHash('a', '1'));
    expect(stableHash('a', 1)).toMatch(/^[0-9a-f]{64}$/);
    expect(stableHash('ab', 'c')).not.toBe(stableHash('a', 'bc'));
    expect(stableHash('a', 'b')).toBe(createHash('sha256').update('a\u001fb').digest('hex'));
  });
});

describe('unitInterval', () => {
  it('is deterministic, in [0, 1) and spread out', () => {
    const values = Array.from({ length: 2_000 }, (_, i) => unitInterval('record', i));
    expect(values).toEqual(Array.from({ length: 2_000 }, (_, i) => unitInterval('record', i)));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const draw = (seed: number | string): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 10 }, random);
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw('42')).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('returns values in [0, 1) with a plausible spread', () => {
    const random = seededRandom('spread');
    const values = Array.from({ length: 5_000 }, random);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const buckets = new Array<number>(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)]++;
    for (const count of buckets) expect(count).toBeGreaterThan(350);
  });
});
