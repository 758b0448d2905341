import { isDependencyUnavailable } from './dependency-unavailable.filter';

describe(isDependencyUnavailable.name, () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

  it('recognises unreachable Postgres and Redis', () => {
    expect(isDependencyUnavailable(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isDependencyUnavailable(withCode('terminating connection due to administrator command', '57P01'))).toBe(
      true,
    );
    expect(isDependencyUnavailable(withCode('connection failure', '08006'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDependencyUnavailable(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyUnavailable(new Error('query failed', { cause: withCode('refused', 'ECONNREFUSED') }))).toBe(
      true,
    );
  });

  it('leaves other errors alone', () => {
    expect(isDependencyUnavailable(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isDependencyUnavailable(new TypeError('x is undefined'))).toBe(false);
    expect(isDependencyUnavailable('a string')).toBe(false);
  });
});
