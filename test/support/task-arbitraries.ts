import fc from 'fast-check';

/**
 * Generated task requests (fast-check) and fixtures, shared by the end-to-end fuzz of the gateway and
 * the unit checks of its fast paths against class-validator and class-transformer.
 */

/** Text Postgres or JSON handling may trip on, beside whatever fast-check makes up. */
const nasty = fc.constantFrom('\u0000', '\ud800', '\udfff', 'a\u0000b', '\ud83d', '💥', '\u202e', '', ' ', 'null');
export const anyText = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), nasty);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  anyText,
  fc.integer(),
  fc.double(),
  fc.constantFrom(-1, 0, 1e308, Number.MAX_SAFE_INTEGER + 2, true, null, [], {}),
);

type Json = Record<string, unknown>;

/** The given task with one field (at any depth) replaced, removed or joined by an unknown one. */
export function mutated(base: object): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.nat(), fc.constantFrom('replace', 'remove', 'add'), fc.string({ maxLength: 12 }), anyValue)
    .map(([pick, how, name, value]) => {
      const task = structuredClone(base) as Json;
      const objects: Json[] = [];
      const walk = (node: unknown): void => {
        if (typeof node !== 'object' || node === null) return;
        if (!Array.isArray(node)) objects.push(node as Json);
        for (const child of Object.values(node)) walk(child);
      };
      walk(task);
      const target = objects[pick % objects.length];
      const keys = Object.keys(target);
      const key = keys.length > 0 ? keys[pick % keys.length] : name;
      if (how === 'replace') target[key] = value;
      else if (how === 'remove') delete target[key];
      else target[name] = value;
      return task;
    });
}

/** A valid task with generated names, ids and thresholds: most are accepted, duplicates are not. */
export const generatedTask: fc.Arbitrary<unknown> = fc.record({
  data_sources: fc.array(
    fc.record({
      id: anyText,
      type: fc.constantFrom('api', 'database', 'file', 'inline', 'ftp'),
      url: anyText,
      simulation: fc.option(fc.record({ records: fc.integer({ min: -1, max: 200_000 }) }), { nil: undefined }),
    }),
    { minLength: 0, maxLength: 4 },
  ),
  llm_config: fc.record({ model: anyText, temperature: fc.double({ min: -1, max: 3 }) }),
  dimensions: fc.array(fc.record({ id: anyText, name: anyText, threshold: fc.double({ min: -0.5, max: 1.5 }) }), {
    maxLength: 4,
  }),
});

/** A task using every part of the request the DTOs describe. */
export const FULL_TASK = {
  data_sources: [
    { id: 'db1', type: 'database', connection: 'reviews', query: 'SELECT id, body FROM reviews' },
    { id: 'api1', type: 'api', url: 'http://127.0.0.1:9/items', records_path: 'data.items' },
    { id: 'in1', type: 'inline', records: [{ id: 'a', body: 'x' }], id_field: 'id', text_field: 'body' },
    { id: 'sim1', type: 'api', url: 'u', simulation: { records: 5, failure_rate: 0.1, latency_ms: 10 } },
  ],
  llm_config: { model: 'gpt-4o-mini', temperature: 0.2, max_tokens: 200 },
  dimensions: [
    { id: 'd1', name: 'Quality', threshold: 0.6, description: 'How good' },
    { id: 'd2', name: 'Tone', kind: 'sentiment', threshold: 0.5 },
    { id: 'd3', name: 'About', kind: 'topics', top_k: 3 },
    { id: 'd4', name: 'Mistakes', kind: 'error_analysis' },
  ],
  labels: { team: 'search' },
  priority: 'high',
  limits: { soft_seconds: 5, hard_seconds: 9 },
  notify: { webhook: { url: 'http://127.0.0.1:9/hook', secret: 's'.repeat(20) } },
};
