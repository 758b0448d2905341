import { PRESETS } from './presets';
import { validateProcessing } from './processing-spec.validator';

const fields = (value: unknown) => validateProcessing(value).map((problem) => problem.field);

describe(validateProcessing.name, () => {
  it('accepts a preset, steps, or both, and every documented step shape', () => {
    expect(validateProcessing({ preset: 'standard' })).toEqual([]);
    expect(
      validateProcessing({
        preset: 'validation_only',
        steps: [
          {
            type: 'validate',
            required: ['name', 'email'],
            types: { age: 'number', name: 'string' },
            min: { age: 0 },
            max: { age: 150 },
            min_length: { name: 2 },
            max_length: { name: 50 },
            pattern: { email: '^[^@]+@[^@]+$' },
          },
          {
            type: 'transform',
            rename: { first: 'first_name' },
            defaults: { country: 'CN' },
            strip: ['first_name'],
            uppercase: ['country'],
            lowercase: ['email'],
            to_number: ['salary'],
            math: [
              { op: 'multiply', field: 'salary', value: 1.1, into: 'raised' },
              { op: 'add', field: 'raised', operand_field: 'bonus' },
              { op: 'round', field: 'raised', value: 2 },
            ],
            select: ['first_name', 'raised'],
            drop: ['bonus'],
          },
          {
            type: 'filter',
            all: [{ field: 'n', op: 'gte', value: 1 }],
            any: [{ field: 'tag', op: 'in', value: ['a', 'b'] }, { all: [{ field: 'x', op: 'contains', value: 'y' }] }],
          },
          { type: 'dedupe', fields: ['email'] },
          {
            type: 'enrich',
            static: { origin: 'import' },
            source: 'source',
            timestamp: 'at',
            lookup: [{ field: 'country', table: { CN: 'Asia' }, into: 'region', default: 'other' }],
          },
          { type: 'aggregate', field: 'raised', ops: ['sum', 'avg', 'min', 'max', 'count'], group_by: 'region' },
          { type: 'aggregate', field: 'n', ops: ['count'] },
        ],
      }),
    ).toEqual([]);
  });

  it('every preset validates on its own', () => {
    for (const name of Object.keys(PRESETS)) expect(validateProcessing({ preset: name })).toEqual([]);
  });

  it('refuses what is not a processing object', () => {
    expect(fields('standard')).toEqual(['processing']);
    expect(fields({})).toEqual(['processing']);
    expect(fields({ preset: 'standard', chain_type: 'x' })).toEqual(['processing.chain_type']);
    expect(validateProcessing({ preset: 'nope' })).toEqual([
      { field: 'processing.preset', reasons: [expect.stringContaining('must be one of validation_only')] },
    ]);
    expect(fields({ steps: [] })).toEqual(['processing.steps']);
    expect(fields({ steps: {} })).toEqual(['processing.steps']);
  });

  it('names the step index and the field of each bad step shape', () => {
    const problems = validateProcessing({
      steps: [
        { type: 'validate', required: ['a'] },
        { type: 'sort', by: 'a' },
        { type: 'validate', types: { a: 'date' }, min: { b: 'one' }, pattern: { c: '(' } },
        {
          type: 'transform',
          math: [
            { op: 'modulo', field: 'n', value: 2 },
            { op: 'add', field: 'n' },
          ],
        },
        { type: 'transform', math: [{ op: 'round', field: 'n', value: 1.5 }], rename: { content: 'text' } },
        {
          type: 'filter',
          all: [
            { field: 'n', op: 'gt', value: [1] },
            { field: 'n', op: 'like', value: 'x' },
          ],
        },
        { type: 'filter' },
        { type: 'enrich', lookup: [{ field: 'k', into: 'v', table: [] }], colour: 'red' },
        { type: 'aggregate', field: '', ops: ['sum', 'median', 'sum'] },
        { type: 'dedupe', fields: [] },
        'validate',
      ],
    });
    expect(problems.map((problem) => problem.field)).toEqual([
      'processing.steps[1].type',
      'processing.steps[2].types.a',
      'processing.steps[2].min.b',
      'processing.steps[2].pattern.c',
      'processing.steps[3].math[0].op',
      'processing.steps[3].math[1]',
      'processing.steps[4].rename.content',
      'processing.steps[4].math[0].value',
      'processing.steps[5].all[0].value',
      'processing.steps[5].all[1].op',
      'processing.steps[6]',
      'processing.steps[7].colour',
      'processing.steps[7].lookup[0].table',
      'processing.steps[8].field',
      'processing.steps[8].ops[1]',
      'processing.steps[8].ops',
      'processing.steps[9].fields',
      'processing.steps[10]',
    ]);
    expect(problems.find((problem) => problem.field === 'processing.steps[1].type')?.reasons).toEqual([
      'must be one of validate, transform, filter, dedupe, enrich, aggregate',
    ]);
    expect(problems.find((problem) => problem.field === 'processing.steps[3].math[1]')?.reasons).toEqual([
      'must give exactly one of value and operand_field',
    ]);
  });

  it('keeps aggregates last and allows one dedupe step, counting the preset’s steps', () => {
    expect(
      validateProcessing({
        steps: [{ type: 'aggregate', field: 'n', ops: ['sum'] }, { type: 'dedupe' }, { type: 'dedupe' }],
      }),
    ).toEqual([
      { field: 'processing.steps[1].type', reasons: ['aggregate steps come last: no other step may follow one'] },
      {
        field: 'processing.steps[2].type',
        reasons: ['aggregate steps come last: no other step may follow one', 'a chain may have one dedupe step'],
      },
    ]);
    expect(fields({ preset: 'math_chain', steps: [{ type: 'enrich', static: { a: 1 } }] })).toEqual([
      'processing.steps[0].type',
    ]);
    expect(fields({ preset: 'data_chain', steps: [{ type: 'dedupe', fields: ['a'] }] })).toEqual([
      'processing.steps[0].type',
    ]);
    expect(fields({ preset: 'math_chain', steps: [{ type: 'aggregate', field: 'n', ops: ['max'] }] })).toEqual([]);
  });

  it('refuses filter conditions nested too deeply', () => {
    let condition: object = { field: 'a', op: 'eq', value: 1 };
    for (let depth = 0; depth < 6; depth += 1) condition = { all: [condition] };
    expect(fields({ steps: [{ type: 'filter', all: [condition] }] })).toEqual([
      'processing.steps[0].all[0].all[0].all[0].all[0].all[0].all',
    ]);
  });

  it('takes an LLM enrichment alone in its step, after the record steps, with a valid kind', () => {
    expect(
      validateProcessing({
        steps: [
          { type: 'transform', strip: ['content'] },
          { type: 'enrich', llm: { kind: 'sentiment', into: 'mood', instruction: 'The customer’s mood' } },
          { type: 'enrich', llm: { kind: 'topics', into: 'topics', top_k: 2 } },
          { type: 'aggregate', field: 'n', ops: ['sum'] },
        ],
      }),
    ).toEqual([]);
    expect(
      validateProcessing({
        steps: [
          { type: 'enrich', llm: { kind: 'mood', into: 'content', top_k: 2 }, static: { a: 1 } },
          { type: 'filter', all: [{ field: 'mood', op: 'eq', value: 'x' }] },
        ],
      }),
    ).toEqual([
      { field: 'processing.steps[0].static', reasons: ['an LLM enrichment stands alone in its step'] },
      { field: 'processing.steps[0].llm.kind', reasons: [expect.stringContaining('must be one of score, sentiment')] },
      { field: 'processing.steps[0].llm.into', reasons: ['an analysis is not written over the content'] },
      { field: 'processing.steps[0].llm.top_k', reasons: ['applies only to kind topics'] },
    ]);
    expect(
      validateProcessing({
        steps: [
          { type: 'enrich', llm: { kind: 'sentiment', into: 'mood' } },
          { type: 'filter', all: [{ field: 'mood', op: 'eq', value: 'x' }] },
        ],
      }),
    ).toEqual([
      {
        field: 'processing.steps[1].type',
        reasons: ['an LLM enrichment runs after the record steps: only aggregates may follow it'],
      },
    ]);
  });
});
