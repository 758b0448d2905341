import { requestId } from './logging.module';

describe('requestId', () => {
  it("takes the caller's X-Request-Id when it is plain, else makes a UUID", () => {
    expect(requestId({ headers: { 'x-request-id': 'trace-42.a:b_c' } })).toBe('trace-42.a:b_c');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(requestId({ headers: {} })).toMatch(uuid);
    expect(requestId({ headers: { 'x-request-id': 'has space' } })).toMatch(uuid);
    expect(requestId({ headers: { 'x-request-id': 'x'.repeat(129) } })).toMatch(uuid);
    expect(requestId({ headers: { 'x-request-id': 'line\nbreak' } })).toMatch(uuid);
    expect(requestId({ headers: {} })).not.toBe(requestId({ headers: {} }));
  });
});
