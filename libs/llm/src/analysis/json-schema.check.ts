import type { JsonSchema } from '@app/contracts';

/**
 * Checks a value against the JSON Schema subset the analysis kinds use; returns every violation with
 * its JSON path (empty: valid). Small on purpose: the schemas are ours and use only these keywords.
 */
export function checkJsonSchema(schema: JsonSchema, value: unknown, path = '$'): string[] {
  switch (schema.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${path} must be an object`];
      const record = value as Record<string, unknown>;
      const problems = (schema.required ?? [])
        .filter((key) => record[key] === undefined)
        .map((key) => `${path}.${key} is required`);
      for (const [key, item] of Object.entries(record)) {
        const property = schema.properties?.[key];
        if (property) problems.push(...checkJsonSchema(property, item, `${path}.${key}`));
        else if (schema.additionalProperties === false) problems.push(`${path}.${key} is not allowed`);
      }
      return problems;
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${path} must be an array`];
      const problems: string[] = [];
      if (schema.minItems !== undefined && value.length < schema.minItems)
        problems.push(`${path} must have at least ${schema.minItems} item(s)`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        problems.push(`${path} must have at most ${schema.maxItems} item(s)`);
      if (schema.items) {
        const items = schema.items;
        value.forEach((item, index) => problems.push(...checkJsonSchema(items, item, `${path}[${index}]`)));
      }
      return problems;
    }
    case 'string': {
      if (typeof value !== 'string') return [`${path} must be a string`];
      if (schema.enum && !schema.enum.includes(value)) return [`${path} must be one of ${schema.enum.join(', ')}`];
      if (schema.minLength !== undefined && value.length < schema.minLength)
        return [`${path} must have at least ${schema.minLength} character(s)`];
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return [`${path} must have at most ${schema.maxLength} character(s)`];
      return [];
    }
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return [`${path} must be a number`];
      if (schema.type === 'integer' && !Number.isInteger(value)) return [`${path} must be an integer`];
      if (schema.minimum !== undefined && value < schema.minimum) return [`${path} must be >= ${schema.minimum}`];
      if (schema.maximum !== undefined && value > schema.maximum) return [`${path} must be <= ${schema.maximum}`];
      return [];
    }
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path} must be a boolean`];
  }
}
