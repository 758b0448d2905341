import { describeError, withDeadline } from './errors.util';

describe(describeError.name, () => {
  it('names the error class and its message, and prints anything else as is', () => {
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeError('plain')).toBe('plain');
  });
});

describe(withDeadline.name, () => {
  it('passes on what settles in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('no')), 1_000)).rejects.toThrow('no');
  });

  it('rejects when nothing settles in time', async () => {
    await expect(withDeadline(new Promise(() => undefined), 20)).rejects.toThrow('no answer within 20 ms');
  });
});
