/** Longest query a database source may carry. */
export const MAX_QUERY_LENGTH = 20_000;

/**
 * Why `query` is not one SELECT statement, or undefined when it is. A first line of defence that gives
 * the user a clear 400: what actually keeps a query from writing is the read-only transaction it runs in.
 */
export function selectQueryProblem(query: string): string | undefined {
  if (query.length > MAX_QUERY_LENGTH) return `must be at most ${MAX_QUERY_LENGTH} characters`;
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
