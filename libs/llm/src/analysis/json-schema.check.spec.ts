import { checkJsonSchema } from './json-schema.check';

describe(checkJsonSchema.name, () => {
  it('reports every violation with its path', () => {
    const schema = {
      type: 'object' as const,
      properties: {
        name: { type: 'string' as const, minLength: 1, maxLength: 3 },
        tags: {
          type: 'array' as const,
          items: { type: 'string' as const, enum: ['a', 'b'] },
          minItems: 1,
          maxItems: 2,
        },
        n: { type: 'integer' as const, minimum: 0, maximum: 9 },
        ok: { type: 'boolean' as const },
      },
      required: ['name', 'n'],
      additionalProperties: false as const,
    };
    expect(checkJsonSchema(schema, { name: 'ab', tags: ['a'], n: 3, ok: true })).toEqual([]);
    expect(checkJsonSchema(schema, { name: '', tags: ['c', 'a', 'b'], n: 1.5, ok: 1, x: 0 })).toEqual([
      '$.name must have at least 1 character(s)',
      '$.tags must have at most 2 item(s)',
      '$.tags[0] must be one of a, b',
      '$.n must be an integer',
      '$.ok must be a boolean',
      '$.x is not allowed',
    ]);
    expect(checkJsonSchema(schema, { tags: 'a', n: 10 })).toEqual([
      '$.name is required',
      '$.tags must be an array',
      '$.n must be <= 9',
    ]);
    expect(checkJsonSchema(schema, [])).toEqual(['$ must be an object']);
    expect(checkJsonSchema({ type: 'number' }, NaN)).toEqual(['$ must be a number']);
  });
});
