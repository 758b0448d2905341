import type { ProcessingStep } from '@app/contracts';
import { AnalysisKind } from '@app/contracts';
import type { ChainRecord } from './field-access';
import { ProcessingChain } from './processing-chain';
import { PRESETS } from './presets';

const NOW = new Date('2026-01-02T03:04:05.000Z');

function record(fields: Record<string, unknown>, content = 'some text'): ChainRecord {
  return { id: 'r1', sourceId: 'src', content, fields };
}

function run(steps: ProcessingStep[], input: ChainRecord) {
  return new ProcessingChain({ steps }).run(input, NOW);
}

function kept(steps: ProcessingStep[], input: ChainRecord): ChainRecord {
  const outcome = run(steps, input);
  if (outcome.kind !== 'kept') throw new Error(`expected kept, got ${JSON.stringify(outcome)}`);
  return outcome.record;
}

describe(ProcessingChain.name, () => {
  describe('validate', () => {
    const step: ProcessingStep = {
      type: 'validate',
      required: ['name', 'email'],
      types: { age: 'number', tags: 'array' },
      min: { age: 0 },
      max: { age: 150 },
      min_length: { name: 2 },
      max_length: { tags: 2 },
      pattern: { email: '^[^@\\s]+@[^@\\s]+$' },
    };

    it('keeps a record that passes every rule', () => {
      const input = record({ name: 'Alice Smith', email: 'alice@example.com', age: 25, tags: ['a'] });
      expect(run([step], input)).toEqual({ kind: 'kept', record: input, dedupeKey: null });
    });

    it('fails a record with every reason, naming the step', () => {
      const outcome = run([step], record({ name: 'A', age: 200, tags: ['a', 'b', 'c'] }));
      expect(outcome).toMatchObject({
        kind: 'failed',
        reasons: [
          'step 0 (validate): email is required',
          'step 0 (validate): age must be at most 150',
          'step 0 (validate): name must have at least 2 character(s) or item(s)',
          'step 0 (validate): tags must have at most 2 character(s) or item(s)',
        ],
      });
      expect(run([step], record({ name: 'Bob', email: 'not-an-email', age: '25' }))).toMatchObject({
        kind: 'failed',
        reasons: [
          'step 0 (validate): age must be of type number',
          'step 0 (validate): age must be a number to compare with its min',
          'step 0 (validate): age must be a number to compare with its max',
          'step 0 (validate): email must match ^[^@\\s]+@[^@\\s]+$',
        ],
      });
    });

    it('treats content as a field and checks each type', () => {
      expect(run([{ type: 'validate', min_length: { content: 1 } }], record({}, ''))).toMatchObject({
        kind: 'failed',
        reasons: ['step 0 (validate): content must have at least 1 character(s) or item(s)'],
      });
      const typed: ProcessingStep = {
        type: 'validate',
        types: { s: 'string', n: 'number', b: 'boolean', o: 'object', a: 'array' },
      };
      expect(run([typed], record({ s: 'x', n: 1, b: false, o: {}, a: [] })).kind).toBe('kept');
      expect(run([typed], record({ s: 1, n: Infinity, b: 'no', o: [], a: {} }))).toMatchObject({
        reasons: [
          'step 0 (validate): s must be of type string',
          'step 0 (validate): n must be of type number',
          'step 0 (validate): b must be of type boolean',
          'step 0 (validate): o must be of type object',
          'step 0 (validate): a must be of type array',
        ],
      });
    });
  });

  describe('transform', () => {
    it('renames, defaults, strips, cases, converts, selects and drops, in that order', () => {
      const out = kept(
        [
          {
            type: 'transform',
            rename: { fname: 'first_name' },
            defaults: { country: 'cn', city: 'x' },
            strip: ['first_name', 'missing'],
            uppercase: ['country'],
            lowercase: ['email'],
            to_number: ['salary', 'bonus'],
            select: ['first_name', 'country', 'email', 'salary', 'bonus', 'junk'],
            drop: ['junk'],
          },
        ],
        record({ fname: '  john  ', city: 'Paris', email: 'J@X.ORG', salary: '75000', bonus: 5, junk: 1, other: 2 }),
      );
      expect(out.fields).toEqual({ first_name: 'john', country: 'CN', email: 'j@x.org', salary: 75000, bonus: 5 });
    });

    it('strips and upper-cases the content itself', () => {
      expect(
        kept([{ type: 'transform', strip: ['content'], uppercase: ['content'] }], record({}, ' hi ')).content,
      ).toBe('HI');
    });

    it('fails a record whose value is not a number', () => {
      expect(run([{ type: 'transform', to_number: ['salary'] }], record({ salary: '75k' }))).toMatchObject({
        kind: 'failed',
        reasons: ['step 0 (transform): salary: "75k" is not a number'],
      });
    });

    it('does the arithmetic of a math chain into new or the same fields', () => {
      const out = kept(
        [
          {
            type: 'transform',
            math: [
              { op: 'add', field: 'a', value: 0.2 },
              { op: 'subtract', field: 'a', value: 0.1, into: 'b' },
              { op: 'multiply', field: 'b', operand_field: 'c', into: 'd' },
              { op: 'divide', field: 'd', value: 4, into: 'e' },
              { op: 'power', field: 'c', value: 3, into: 'f' },
              { op: 'round', field: 'g', value: 2 },
              { op: 'round', field: 'h' },
            ],
          },
        ],
        record({ a: 0.1, c: 3, g: 2.34567, h: 2.5 }),
      );
      expect(out.fields).toEqual({ a: 0.3, b: 0.2, c: 3, d: 0.6, e: 0.15, f: 27, g: 2.35, h: 3 });
    });

    it('fails arithmetic on a non-number, a division by zero and an overflow', () => {
      expect(
        run([{ type: 'transform', math: [{ op: 'add', field: 'a', value: 1 }] }], record({ a: '1' })),
      ).toMatchObject({
        reasons: ['step 0 (transform): a must be a number for arithmetic'],
      });
      expect(
        run([{ type: 'transform', math: [{ op: 'divide', field: 'a', operand_field: 'b' }] }], record({ a: 1, b: 0 })),
      ).toMatchObject({ reasons: ['step 0 (transform): a: division by zero'] });
      expect(
        run([{ type: 'transform', math: [{ op: 'power', field: 'a', value: 1e6 }] }], record({ a: 10 })),
      ).toMatchObject({ reasons: ['step 0 (transform): a: power gives no finite number'] });
    });
  });

  describe('filter', () => {
    const keeps = (step: ProcessingStep, fields: Record<string, unknown>) =>
      run([step], record(fields)).kind === 'kept';

    it('compares with each operator', () => {
      const cases: [string, unknown, unknown, boolean][] = [
        ['eq', 1, 1, true],
        ['eq', { a: [1] }, { a: [1] }, true],
        ['eq', '1', 1, false],
        ['ne', 1, 2, true],
        ['ne', undefined, 2, true],
        ['gt', 2, 1, true],
        ['gt', '2', 1, false],
        ['gte', 1, 1, true],
        ['lt', 'a', 'b', true],
        ['lte', 2, 1, false],
        ['in', 'b', ['a', 'b'], true],
        ['in', 'c', ['a', 'b'], false],
        ['contains', 'hello world', 'world', true],
        ['contains', ['x', 'y'], 'y', true],
        ['contains', 5, 5, false],
      ];
      for (const [op, value, operand, expected] of cases) {
        const step = { type: 'filter', all: [{ field: 'v', op, value: operand }] } as ProcessingStep;
        expect([op, value, operand, keeps(step, value === undefined ? {} : { v: value })]).toEqual([
          op,
          value,
          operand,
          expected,
        ]);
      }
    });

    it('combines conditions with all and any, nested', () => {
      const step: ProcessingStep = {
        type: 'filter',
        all: [{ field: 'n', op: 'gte', value: 10 }],
        any: [
          { field: 'kind', op: 'eq', value: 'a' },
          {
            all: [
              { field: 'kind', op: 'eq', value: 'b' },
              { field: 'ok', op: 'eq', value: true },
            ],
          },
        ],
      };
      expect(keeps(step, { n: 10, kind: 'a' })).toBe(true);
      expect(keeps(step, { n: 10, kind: 'b', ok: true })).toBe(true);
      expect(keeps(step, { n: 10, kind: 'b', ok: false })).toBe(false);
      expect(keeps(step, { n: 9, kind: 'a' })).toBe(false);
      expect(run([step], record({ n: 1 }))).toEqual({ kind: 'dropped' });
    });
  });

  describe('dedupe', () => {
    it('keys records by the listed fields, or by their whole content', () => {
      const byEmail = (fields: Record<string, unknown>, content?: string) =>
        (run([{ type: 'dedupe', fields: ['email'] }], record(fields, content)) as { dedupeKey: string }).dedupeKey;
      expect(byEmail({ email: 'a@x', n: 1 })).toBe(byEmail({ email: 'a@x', n: 2 }, 'other'));
      expect(byEmail({ email: 'a@x' })).not.toBe(byEmail({ email: 'b@x' }));
      const byContent = (fields: Record<string, unknown>, content?: string) =>
        (run([{ type: 'dedupe' }], record(fields, content)) as { dedupeKey: string }).dedupeKey;
      expect(byContent({ a: 1, b: 2 })).toBe(byContent({ b: 2, a: 1 }));
      expect(byContent({ a: 1 })).not.toBe(byContent({ a: 1 }, 'other text'));
      expect(byContent({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
    });

    it('keys a record after the steps before it, and keeps the key when a later step fails it', () => {
      const steps: ProcessingStep[] = [
        { type: 'transform', lowercase: ['email'] },
        { type: 'dedupe', fields: ['email'] },
        { type: 'validate', required: ['name'] },
      ];
      const a = run(steps, record({ email: 'A@X', name: 'a' }));
      const b = run(steps, record({ email: 'a@x' }));
      expect(b.kind).toBe('failed');
      expect((a as { dedupeKey: string }).dedupeKey).toBe((b as { dedupeKey: string }).dedupeKey);
    });
  });

  describe('enrich', () => {
    it('adds static fields, the source, the time and looked-up values', () => {
      const out = kept(
        [
          {
            type: 'enrich',
            static: { origin: 'import', batch: 3 },
            source: 'source',
            timestamp: 'processed_at',
            lookup: [
              { field: 'country', table: { CN: 'Asia', FR: 'Europe' }, into: 'region', default: 'other' },
              { field: 'code', table: { '1': 'one' }, into: 'code_name' },
              { field: 'absent', table: { x: 1 }, into: 'nothing' },
            ],
          },
        ],
        record({ country: 'FR', code: 1 }),
      );
      expect(out.fields).toEqual({
        country: 'FR',
        code: 1,
        origin: 'import',
        batch: 3,
        source: 'src',
        processed_at: '2026-01-02T03:04:05.000Z',
        region: 'Europe',
        code_name: 'one',
      });
      expect(
        kept(
          [{ type: 'enrich', lookup: [{ field: 'country', table: { CN: 'Asia' }, into: 'region', default: 'other' }] }],
          record({ country: 'BR' }),
        ).fields.region,
      ).toBe('other');
    });
  });

  it('runs the steps in order, never changing its input, and leaves aggregates to the end', () => {
    const input = record({ n: '4' });
    const chain = new ProcessingChain({
      steps: [
        { type: 'transform', to_number: ['n'], math: [{ op: 'power', field: 'n', value: 2, into: 'sq' }] },
        { type: 'validate', min: { sq: 10 } },
        { type: 'aggregate', field: 'sq', ops: ['sum'] },
      ],
    });
    expect(chain.recordSteps.map((step) => step.type)).toEqual(['transform', 'validate']);
    expect(chain.aggregateSteps).toEqual([{ type: 'aggregate', field: 'sq', ops: ['sum'] }]);
    expect(chain.run(input, NOW)).toMatchObject({ kind: 'kept', record: { fields: { n: 4, sq: 16 } } });
    expect(input.fields).toEqual({ n: '4' });
    expect(chain.run(record({ n: '3' }), NOW)).toMatchObject({
      kind: 'failed',
      record: { fields: { n: 3, sq: 9 } },
      reasons: ['step 1 (validate): sq must be at least 10'],
    });
  });

  it('leaves LLM enrichments to the evaluate stage', () => {
    const chain = new ProcessingChain({
      steps: [
        { type: 'transform', uppercase: ['content'] },
        { type: 'enrich', llm: { kind: AnalysisKind.TOPICS, into: 'topics', top_k: 2 } },
      ],
    });
    expect(chain.recordSteps).toEqual([{ type: 'transform', uppercase: ['content'] }]);
    expect(chain.llmEnrichments).toEqual([{ kind: AnalysisKind.TOPICS, into: 'topics', top_k: 2 }]);
    expect(chain.run(record({}, 'abc'), NOW)).toMatchObject({ kind: 'kept', record: { content: 'ABC', fields: {} } });
  });

  it('runs a preset’s steps first, then the task’s own', () => {
    const chain = new ProcessingChain({ preset: 'standard', steps: [{ type: 'transform', uppercase: ['content'] }] });
    expect(chain.recordSteps).toEqual([...PRESETS.standard.steps, { type: 'transform', uppercase: ['content'] }]);
    expect(chain.run(record({}, '  hello '), NOW)).toEqual({
      kind: 'kept',
      dedupeKey: null,
      record: { ...record({}), content: 'HELLO', fields: { source: 'src', processed_at: NOW.toISOString() } },
    });
    expect(new ProcessingChain(undefined).isEmpty).toBe(true);
    expect(() => new ProcessingChain({ preset: 'nope' })).toThrow('unknown preset nope');
  });

  describe('presets', () => {
    it('validation_only fails an empty content', () => {
      expect(new ProcessingChain({ preset: 'validation_only' }).run(record({}, ''), NOW).kind).toBe('failed');
    });

    it('data_chain cleans, drops empty records and keys by content', () => {
      const chain = new ProcessingChain({ preset: 'data_chain' });
      expect(chain.run(record({}, '   '), NOW)).toEqual({ kind: 'dropped' });
      const a = chain.run(record({}, ' Hello '), NOW);
      const b = chain.run(record({}, 'hello'), NOW);
      expect(a).toMatchObject({ kind: 'kept', record: { content: 'hello' } });
      expect((a as { dedupeKey: string }).dedupeKey).toBe((b as { dedupeKey: string }).dedupeKey);
    });

    it('math_chain converts and requires a numeric value, and aggregates it', () => {
      const chain = new ProcessingChain({ preset: 'math_chain' });
      expect(chain.run(record({ value: ' 12.5 ' }), NOW)).toMatchObject({
        kind: 'kept',
        record: { fields: { value: 12.5 } },
      });
      expect(chain.run(record({}), NOW)).toMatchObject({
        kind: 'failed',
        reasons: ['step 1 (validate): value is required'],
      });
      expect(chain.aggregateSteps).toHaveLength(1);
    });

    it('transform_export, enrich_notify and io_chain clean or stamp the records', () => {
      expect(new ProcessingChain({ preset: 'transform_export' }).run(record({}, ' x '), NOW)).toMatchObject({
        record: { content: 'x' },
      });
      for (const preset of ['enrich_notify', 'io_chain']) {
        expect(new ProcessingChain({ preset }).run(record({}), NOW)).toMatchObject({
          kind: 'kept',
          record: { fields: { source: 'src', processed_at: NOW.toISOString() } },
        });
      }
    });
  });
});
