/**
 * JSON with object keys sorted at every level: equal values give equal text whatever their key order
 * (Postgres jsonb, for one, does not keep it), so prompts and cache keys built from them are stable.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}
