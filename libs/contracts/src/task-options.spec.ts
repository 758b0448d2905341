import { effectiveLimits } from './task-options';

describe(effectiveLimits.name, () => {
  const defaults = { softSeconds: 3300, hardSeconds: 3600 };

  it('takes the defaults when the task sets nothing', () => {
    expect(effectiveLimits(undefined, defaults)).toEqual(defaults);
    expect(effectiveLimits({}, defaults)).toEqual(defaults);
  });

  it('takes what the task sets', () => {
    expect(effectiveLimits({ softSeconds: 10, hardSeconds: 20 }, defaults)).toEqual({
      softSeconds: 10,
      hardSeconds: 20,
    });
  });

  it('cuts the default soft limit down to a lower hard limit', () => {
    expect(effectiveLimits({ hardSeconds: 2 }, defaults)).toEqual({ softSeconds: 2, hardSeconds: 2 });
  });

  it('raises the default hard limit to a higher soft limit', () => {
    expect(effectiveLimits({ softSeconds: 5000 }, defaults)).toEqual({ softSeconds: 5000, hardSeconds: 5000 });
  });

  it('refuses a soft limit above the hard one', () => {
    expect(effectiveLimits({ softSeconds: 30, hardSeconds: 20 }, defaults)).toBeUndefined();
  });
});
