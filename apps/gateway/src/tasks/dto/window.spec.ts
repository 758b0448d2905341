import { parseWindow } from './window';

describe(parseWindow.name, () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['1h', 3_600],
    ['30d', 2_592_000],
  ])('reads %s as %d seconds', (window, seconds) => {
    expect(parseWindow(window)).toBe(seconds);
  });

  it.each(['', '0h', '1', 'h', '1w', '1.5h', '-1h', '31d', ' 1h'])('refuses %p', (window) => {
    expect(parseWindow(window)).toBeUndefined();
  });
});
