import { ApiKeys, ownerScope, presentedKey, sha256 } from './api-keys';

describe(ApiKeys.name, () => {
  const bobDigest = sha256('bob-secret-22').toString('hex');

  it('identifies keys given plainly or by their sha256, and marks the admin ones', () => {
    const keys = ApiKeys.parse(`alice:alice-secret-1, bob:${bobDigest},root:root-secret-3`, 'root');
    expect(keys.enabled).toBe(true);
    expect(keys.identify('alice-secret-1')).toEqual({ name: 'alice', admin: false });
    expect(keys.identify('bob-secret-22')).toEqual({ name: 'bob', admin: false });
    expect(keys.identify('root-secret-3')).toEqual({ name: 'root', admin: true });
    expect(keys.identify(bobDigest)).toBeUndefined();
    expect(keys.identify('alice-secret-')).toBeUndefined();
  });

  it('is disabled without keys', () => {
    expect(ApiKeys.parse('', '').enabled).toBe(false);
    expect(ApiKeys.parse(' , ', '').identify('anything')).toBeUndefined();
  });

  it('refuses malformed entries, repeated names and admin names without a key, naming them', () => {
    expect(() => ApiKeys.parse('alice', '')).toThrow(/API_KEYS entry "alice"/);
    expect(() => ApiKeys.parse('alice:short', '')).toThrow(/at least 8/);
    expect(() => ApiKeys.parse('al ice:long-enough-key', '')).toThrow(/API_KEYS entry "al ice"/);
    expect(() => ApiKeys.parse('a:long-enough-key,a:other-long-key', '')).toThrow(/names "a" twice/);
    expect(() => ApiKeys.parse('a:long-enough-key', 'b')).toThrow(/ADMIN_API_KEYS names "b"/);
  });
});

describe('presentedKey', () => {
  it('reads a bearer token or X-API-Key, bearer first', () => {
    expect(presentedKey({ authorization: 'Bearer abc' })).toBe('abc');
    expect(presentedKey({ authorization: 'bearer  abc ' })).toBe('abc');
    expect(presentedKey({ 'x-api-key': 'xyz' })).toBe('xyz');
    expect(presentedKey({ authorization: 'Bearer abc', 'x-api-key': 'xyz' })).toBe('abc');
    expect(presentedKey({ authorization: 'Basic dXNlcjpwYXNz' })).toBeUndefined();
    expect(presentedKey({ 'x-api-key': '' })).toBeUndefined();
    expect(presentedKey({})).toBeUndefined();
  });
});

describe('ownerScope', () => {
  it("scopes a key to its own tasks, an admin key and the open API to everyone's", () => {
    expect(ownerScope({ name: 'alice', admin: false })).toBe('alice');
    expect(ownerScope({ name: 'root', admin: true })).toBeUndefined();
    expect(ownerScope({ name: null, admin: true })).toBeUndefined();
  });
});
