import { RateWindow } from './rate-window';

describe(RateWindow.name, () => {
  it('admits up to the request limit per window, then again in the next window', () => {
    let now = 0;
    const window = new RateWindow({ requests: 2, tokens: 1000, windowMs: 100 }, () => now);
    expect(window.admit()).toEqual({ admitted: true });
    expect(window.admit()).toEqual({ admitted: true });
    expect(window.admit()).toEqual({ admitted: false, limit: 'requests' });
    expect(window.state()).toMatchObject({ remainingRequests: 0, resetMs: 100 });
    now = 60;
    expect(window.state().resetMs).toBe(40);
    now = 100;
    expect(window.admit()).toEqual({ admitted: true });
    expect(window.state()).toMatchObject({ remainingRequests: 1, resetMs: 100 });
  });

  it('refuses once the tokens of the window are spent', () => {
    const window = new RateWindow({ requests: 100, tokens: 50, windowMs: 1000 }, () => 0);
    expect(window.admit()).toEqual({ admitted: true });
    window.spend(60);
    expect(window.admit()).toEqual({ admitted: false, limit: 'tokens' });
    expect(window.state()).toMatchObject({ remainingTokens: 0, limitTokens: 50 });
  });
});
