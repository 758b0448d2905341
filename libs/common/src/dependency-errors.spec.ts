import { isDependencyUnavailable, publicReason } from './dependency-errors';

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

describe(publicReason.name, () => {
  it('hides hosts, SQL and driver messages', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), { code: 'ECONNREFUSED' });
    expect(publicReason(refused)).toBe('a backing service (Postgres or Redis) was unreachable');
    const sql = Object.assign(new Error('duplicate key value violates unique constraint "tasks_pkey"'), {
      code: '23505',
    });
    expect(publicReason(sql)).toBe('an internal error (details in the service logs)');
    expect(publicReason('at Object.<anonymous> (/app/dist/main.js:1:1)')).toBe(
      'an internal error (details in the service logs)',
    );
  });

  it('keeps messages written for users', () => {
    class ProviderError extends Error {
      override name = 'ProviderError';
    }
    expect(publicReason(new ProviderError('rate limit exceeded'))).toBe('rate limit exceeded');
  });
});
