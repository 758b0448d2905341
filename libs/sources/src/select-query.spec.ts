import { selectQueryProblem } from './select-query';

describe('selectQueryProblem', () => {
  it.each([
    'SELECT 1',
    "select id, body from reviews where body = 'a;b' order by id;",
    '  -- leading comment\n  SELECT * FROM t',
    '/* why */ WITH x AS (SELECT 1) SELECT * FROM x',
    'SELECT "semi;colon" FROM t',
  ])('accepts %p', (query) => {
    expect(selectQueryProblem(query)).toBeUndefined();
  });

  it.each([
    ['DELETE FROM t', 'must be a SELECT statement'],
    ['UPDATE t SET a = 1', 'must be a SELECT statement'],
    ['-- SELECT\nDROP TABLE t', 'must be a SELECT statement'],
    ['SELECT 1; DROP TABLE t', 'must be a single statement'],
    ['SELECT 1;;', 'must be a single statement'],
    ["SELECT * FROM t INTO OUTFILE '/tmp/x'", 'must not write files'],
    ['', 'must be a SELECT statement'],
    [`SELECT '${'x'.repeat(20_001)}'`, 'must be at most 20000 characters'],
  ])('refuses %p', (query, problem) => {
    expect(selectQueryProblem(query)).toBe(problem);
  });
});
