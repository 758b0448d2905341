import { evictionProblem } from './eviction-policy';

describe(evictionProblem.name, () => {
  it('takes a Redis that never evicts', () => {
    expect(evictionProblem('noeviction', false)).toBeUndefined();
  });

  it('refuses any evicting policy, naming it and the fix', () => {
    for (const policy of ['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl']) {
      expect(evictionProblem(policy, false)).toMatch(new RegExp(`'${policy}'.*maxmemory-policy noeviction`));
    }
  });

  it('lets the test-only override through', () => {
    expect(evictionProblem('allkeys-lru', true)).toBeUndefined();
  });
});
