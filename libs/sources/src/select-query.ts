import { LIMITS } from '@app/contracts';

/**
 * Why `query` is not one SELECT statement, or undefined when it is. A first line of defence that gives
 * the user a clear 400: what actually keeps a query from writing is the read-only transaction it runs in.
 */
export function selectQueryProblem(query: string): string | undefined {
  if (query.length > LIMITS.queryLength) return `must be at most ${LIMITS.queryLength} characters`;
  const code = query
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/`(?:[^`]|``)*`/g, '``')
    .trim()
    .replace(/;\s*$/, '');
  if (!/^(select|with)\b/i.test(code)) return 'must be a SELECT statement';
  if (code.includes(';')) return 'must be a single statement';
  if (/\binto\s+(outfile|dumpfile)\b/i.test(code)) return 'must not write files';
  return undefined;
}
