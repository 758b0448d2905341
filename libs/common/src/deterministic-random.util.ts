import { createHash } from 'node:crypto';

const UNIT_SEPARATOR = '\u001f';
const TWO_POW_52 = 2 ** 52;
const TWO_POW_32 = 2 ** 32;

/** sha256 (hex) of the parts; the separator keeps ("ab", "c") and ("a", "bc") apart. */
export function stableHash(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.map(String).join(UNIT_SEPARATOR)).digest('hex');
}

/** A number in [0, 1) that depends only on the parts: 52 bits (13 hex digits) of their hash. */
export function unitInterval(...parts: (string | number)[]): number {
  return parseInt(stableHash(...parts).slice(0, 13), 16) / TWO_POW_52;
}

/** A small deterministic PRNG (mulberry32) returning [0, 1); not for cryptography. */
export function seededRandom(seed: number | string): () => number {
  let state = parseInt(stableHash('seeded-random', seed).slice(0, 8), 16);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}
