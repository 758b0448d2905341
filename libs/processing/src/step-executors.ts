import { canonicalJson, stableHash } from '@app/common';
import type {
  DedupeStep,
  EnrichStep,
  FieldType,
  FilterComparison,
  FilterCondition,
  FilterStep,
  MathOp,
  TransformStep,
  ValidateStep,
} from '@app/contracts';
import type { ChainRecord } from './field-access';
import { CONTENT, getField, hasField, setField } from './field-access';

/** Thrown by a step when the record cannot go on; the chain records it as failed with the reason. */
export class RecordRejected extends Error {}

/** Every rule of the step is checked, so the record's error lists every reason at once. */
export function validateRecord(step: ValidateStep, record: ChainRecord, patterns: Map<string, RegExp>): string[] {
  const reasons: string[] = [];
  const present = (name: string) => {
    const value = getField(record, name);
    return value !== undefined && value !== null;
  };
  for (const name of step.required ?? []) if (!present(name)) reasons.push(`${name} is required`);
  for (const [name, type] of Object.entries(step.types ?? {})) {
    if (present(name) && !isOfType(getField(record, name), type)) reasons.push(`${name} must be of type ${type}`);
  }
  /** One kind of limit: `measure` gives the number to compare (or a reason when there is none). */
  const limit = (
    rules: Record<string, number> | undefined,
    measure: (value: unknown) => number | string,
    lowest: boolean,
    describe: (name: string, bound: number) => string,
  ) => {
    for (const [name, bound] of Object.entries(rules ?? {})) {
      if (!present(name)) continue;
      const measured = measure(getField(record, name));
      if (typeof measured === 'string') reasons.push(`${name} ${measured}`);
      else if (lowest ? measured < bound : measured > bound) reasons.push(describe(name, bound));
    }
  };
  const number = (word: string) => (value: unknown) =>
    typeof value === 'number' ? value : `must be a number to compare with its ${word}`;
  const length = (value: unknown) =>
    typeof value === 'string' || Array.isArray(value)
      ? value.length
      : 'must be a string or an array to check its length';
  limit(step.min, number('min'), true, (name, bound) => `${name} must be at least ${bound}`);
  limit(step.max, number('max'), false, (name, bound) => `${name} must be at most ${bound}`);
  limit(step.min_length, length, true, (name, bound) => `${name} must have at least ${bound} character(s) or item(s)`);
  limit(step.max_length, length, false, (name, bound) => `${name} must have at most ${bound} character(s) or item(s)`);
  for (const [name, source] of Object.entries(step.pattern ?? {})) {
    if (!present(name)) continue;
    const value = getField(record, name);
    if (typeof value !== 'string' || !patterns.get(source)!.test(value)) reasons.push(`${name} must match ${source}`);
  }
  return reasons;
}

function isOfType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

/** The operations in the order the step's properties are documented in. */
export function transformRecord(step: TransformStep, record: ChainRecord): void {
  for (const [from, to] of Object.entries(step.rename ?? {})) {
    if (!hasField(record, from)) continue;
    record.fields[to] = record.fields[from];
    delete record.fields[from];
  }
  for (const [name, value] of Object.entries(step.defaults ?? {})) {
    const current = getField(record, name);
    if (current === undefined || current === null) setField(record, name, value);
  }
  const mapStrings = (names: string[] | undefined, map: (value: string) => string) => {
    for (const name of names ?? []) {
      const value = getField(record, name);
      if (typeof value === 'string') setField(record, name, map(value));
    }
  };
  mapStrings(step.strip, (value) => value.trim());
  mapStrings(step.uppercase, (value) => value.toUpperCase());
  mapStrings(step.lowercase, (value) => value.toLowerCase());
  for (const name of step.to_number ?? []) {
    const value = getField(record, name);
    if (value === undefined || value === null || typeof value === 'number') continue;
    const number = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : NaN;
    if (!Number.isFinite(number)) throw new RecordRejected(`${name}: ${JSON.stringify(value)} is not a number`);
    setField(record, name, number);
  }
  for (const op of step.math ?? []) setField(record, op.into ?? op.field, computeMath(op, record));
  if (step.select) {
    const keep = new Set(step.select);
    for (const name of Object.keys(record.fields)) if (!keep.has(name)) delete record.fields[name];
  }
  for (const name of step.drop ?? []) if (name !== CONTENT) delete record.fields[name];
}

function computeMath(op: MathOp, record: ChainRecord): number {
  const left = numberOf(record, op.field);
  if (op.op === 'round') {
    const factor = 10 ** (op.value ?? 0);
    return Math.round(left * factor) / factor;
  }
  const right = op.operand_field === undefined ? op.value! : numberOf(record, op.operand_field);
  let result: number;
  switch (op.op) {
    case 'add':
      result = left + right;
      break;
    case 'subtract':
      result = left - right;
      break;
    case 'multiply':
      result = left * right;
      break;
    case 'divide':
      if (right === 0) throw new RecordRejected(`${op.field}: division by zero`);
      result = left / right;
      break;
    case 'power':
      result = left ** right;
      break;
  }
  if (!Number.isFinite(result)) throw new RecordRejected(`${op.field}: ${op.op} gives no finite number`);
  return cleanFloat(result);
}

function numberOf(record: ChainRecord, name: string): number {
  const value = getField(record, name);
  if (typeof value !== 'number') throw new RecordRejected(`${name} must be a number for arithmetic`);
  return value;
}

/** 15 significant digits drop binary noise (0.1 + 0.2 is 0.3 here, not 0.30000000000000004). */
export function cleanFloat(value: number): number {
  return Number.parseFloat(value.toPrecision(15));
}

export function matchesFilter(step: FilterStep, record: ChainRecord): boolean {
  return (
    (step.all === undefined || step.all.every((condition) => matches(condition, record))) &&
    (step.any === undefined || step.any.some((condition) => matches(condition, record)))
  );
}

function matches(condition: FilterCondition, record: ChainRecord): boolean {
  if ('all' in condition || 'any' in condition) {
    const { all, any } = condition as { all?: FilterCondition[]; any?: FilterCondition[] };
    return (
      (all === undefined || all.every((inner) => matches(inner, record))) &&
      (any === undefined || any.some((inner) => matches(inner, record)))
    );
  }
  return compare(condition, getField(record, condition.field));
}

function compare({ op, value: operand }: FilterComparison, value: unknown): boolean {
  switch (op) {
    case 'eq':
      return sameValue(value, operand);
    case 'ne':
      return !sameValue(value, operand);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      // Only like with like: a number with a number, a string with a string (no coercion surprises).
      if (typeof value !== typeof operand || (typeof value !== 'number' && typeof value !== 'string')) return false;
      const order = value < (operand as typeof value) ? -1 : value > (operand as typeof value) ? 1 : 0;
      return op === 'gt' ? order > 0 : op === 'gte' ? order >= 0 : op === 'lt' ? order < 0 : order <= 0;
    }
    case 'in':
      return Array.isArray(operand) && operand.some((item) => sameValue(value, item));
    case 'contains':
      if (typeof value === 'string') return typeof operand === 'string' && value.includes(operand);
      return Array.isArray(value) && value.some((item) => sameValue(item, operand));
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return typeof a === 'object' && typeof b === 'object' && canonicalJson(a) === canonicalJson(b);
}

export function dedupeKey(step: DedupeStep, record: ChainRecord): string {
  const basis = step.fields
    ? step.fields.map((name) => getField(record, name) ?? null)
    : { content: record.content, fields: record.fields };
  return stableHash(canonicalJson(basis));
}

export function enrichRecord(step: EnrichStep, record: ChainRecord, now: Date): void {
  for (const [name, value] of Object.entries(step.static ?? {})) setField(record, name, value);
  if (step.source !== undefined) setField(record, step.source, record.sourceId);
  if (step.timestamp !== undefined) setField(record, step.timestamp, now.toISOString());
  for (const lookup of step.lookup ?? []) {
    const value = getField(record, lookup.field);
    const key =
      typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    if (key !== undefined && Object.prototype.hasOwnProperty.call(lookup.table, key))
      setField(record, lookup.into, lookup.table[key]);
    else if (lookup.default !== undefined) setField(record, lookup.into, lookup.default);
  }
}
