import { resultCursor, taskCursor } from './cursor';

describe('taskCursor', () => {
  const position = { createdAt: '2025-03-01T10:00:00.123456Z', id: '4b1c7d0e-0000-4000-8000-000000000001' };

  it('round-trips a position, microseconds included', () => {
    const cursor = taskCursor.encode(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(taskCursor.decode(cursor)).toEqual(position);
  });

  it.each([
    ['not base64', '!!!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['a result cursor', resultCursor.encode(5)],
    ['a bad timestamp', Buffer.from(JSON.stringify(['t', '2025-13-45', position.id])).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify(['t', position.createdAt, 'x'])).toString('base64url')],
    ['extra parts', Buffer.from(JSON.stringify(['t', position.createdAt, position.id, 1])).toString('base64url')],
    ['an overlong string', 'a'.repeat(201)],
  ])('refuses %s', (_, cursor) => {
    expect(taskCursor.decode(cursor)).toBeUndefined();
  });
});

describe('resultCursor', () => {
  it('round-trips an offset', () => {
    expect(resultCursor.decode(resultCursor.encode(300))).toBe(300);
  });

  it.each([0, -1, 1.5, '3'])('refuses the offset %p', (offset) => {
    expect(resultCursor.decode(Buffer.from(JSON.stringify(['r', offset])).toString('base64url'))).toBeUndefined();
  });
});
