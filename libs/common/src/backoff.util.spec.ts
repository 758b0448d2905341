import { backoffDelay } from './backoff.util';

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles the ceiling per attempt and spreads the delay over its upper half', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 0.999_999)).toBeCloseTo(100, 3);
    expect(backoffDelay(3, policy, () => 0)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(300);
  });

  it('never exceeds maxDelayMs', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const delay = backoffDelay(attempt, policy, Math.random);
      expect(delay).toBeGreaterThanOrEqual(Math.min(policy.maxDelayMs, 100 * 2 ** (attempt - 1)) / 2);
      expect(delay).toBeLessThanOrEqual(policy.maxDelayMs);
    }
    expect(backoffDelay(20, policy, () => 0)).toBe(500);
  });
});
