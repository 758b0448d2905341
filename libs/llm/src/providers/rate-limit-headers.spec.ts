import { parseDurationMs, parseRateLimits, parseRetryAfterMs } from './rate-limit-headers';

describe('rate-limit headers', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['20ms', 20],
    ['1h2m3.5s', 3_723_500],
    ['0.5', 500],
    ['2.250s', 2250],
  ])('reads the duration %s as %d ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 'soon', '5x', '1s later'])('does not read %p as a duration', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('reads the x-ratelimit-* headers from fetch Headers and from Node header objects', () => {
    const headers = new Headers({
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '1.5s',
      'x-ratelimit-remaining-tokens': '12000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    const expected = { remainingRequests: 0, resetRequestsMs: 1500, remainingTokens: 12000, resetTokensMs: 360_000 };
    expect(parseRateLimits(headers)).toEqual(expected);
    expect(parseRateLimits({ 'x-ratelimit-remaining-requests': '3' })).toEqual({ remainingRequests: 3 });
    expect(parseRateLimits({})).toBeUndefined();
  });

  it('prefers retry-after-ms, then retry-after in seconds or as a date', () => {
    expect(parseRetryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' })).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after': '2' })).toBe(2000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }, now)).toBe(3000);
    expect(parseRetryAfterMs({ 'retry-after': 'whenever' })).toBeUndefined();
    expect(parseRetryAfterMs({})).toBeUndefined();
  });
});
