import type { FieldError, ProcessingStep, StepType } from '@app/contracts';
import { AGGREGATE_OPS, AnalysisKind, FIELD_TYPES, FILTER_OPS, MATH_OPS, MAX_TOP_K, STEP_TYPES } from '@app/contracts';
import { CONTENT } from './field-access';
import { PRESETS } from './presets';

export const PROCESSING_LIMITS = {
  steps: 50,
  listItems: 100,
  lookupEntries: 10_000,
  filterDepth: 5,
  patternLength: 500,
  fieldNameLength: 128,
} as const;

const ALLOWED_KEYS: Record<StepType, readonly string[]> = {
  validate: ['type', 'required', 'types', 'min', 'max', 'min_length', 'max_length', 'pattern'],
  transform: ['type', 'rename', 'defaults', 'strip', 'uppercase', 'lowercase', 'to_number', 'math', 'select', 'drop'],
  filter: ['type', 'all', 'any'],
  dedupe: ['type', 'fields'],
  enrich: ['type', 'static', 'source', 'timestamp', 'lookup', 'llm'],
  aggregate: ['type', 'field', 'ops', 'group_by'],
};

type Json = Record<string, unknown>;

/**
 * Checks a task's `processing` member by hand rather than with class-validator: steps are a tagged
 * union whose allowed members depend on `type`, and every problem must name its step index and field.
 * Returns every problem found (empty: valid).
 */
export function validateProcessing(value: unknown, path = 'processing'): FieldError[] {
  const check = new Checker();
  if (!check.object(path, value)) return check.problems;
  check.knownKeys(path, value, ['preset', 'steps']);
  if (value.preset === undefined && value.steps === undefined) check.add(path, 'must name a preset or give steps');

  let presetSteps: readonly ProcessingStep[] = [];
  if (value.preset !== undefined) {
    if (typeof value.preset !== 'string' || !(value.preset in PRESETS)) {
      check.add(`${path}.preset`, `must be one of ${Object.keys(PRESETS).join(', ')}`);
    } else {
      presetSteps = PRESETS[value.preset].steps;
    }
  }
  if (value.steps !== undefined && check.array(`${path}.steps`, value.steps, 1, PROCESSING_LIMITS.steps)) {
    value.steps.forEach((step, index) => checkStep(check, `${path}.steps[${index}]`, step));
    if (check.problems.length === 0) checkOrder(check, path, presetSteps, value.steps as ProcessingStep[]);
  }
  return check.problems;
}

/**
 * Aggregates summarise the records that leave the chain, so nothing may follow them; LLM enrichments
 * run in the evaluate stage, after the record steps, so only aggregates (or more of them) may follow;
 * one dedupe key per record.
 */
function checkOrder(
  check: Checker,
  path: string,
  presetSteps: readonly ProcessingStep[],
  steps: readonly ProcessingStep[],
): void {
  let aggregateSeen = presetSteps.some((step) => step.type === 'aggregate');
  let dedupeSeen = presetSteps.some((step) => step.type === 'dedupe');
  let llmSeen = false;
  steps.forEach((step, index) => {
    const at = `${path}.steps[${index}].type`;
    const llm = step.type === 'enrich' && step.llm !== undefined;
    if (step.type === 'aggregate') aggregateSeen = true;
    else if (aggregateSeen) check.add(at, 'aggregate steps come last: no other step may follow one');
    else if (llmSeen && !llm)
      check.add(at, 'an LLM enrichment runs after the record steps: only aggregates may follow it');
    if (llm) llmSeen = true;
    if (step.type === 'dedupe') {
      if (dedupeSeen) check.add(at, 'a chain may have one dedupe step');
      dedupeSeen = true;
    }
  });
}

function checkStep(check: Checker, path: string, step: unknown): void {
  if (!check.object(path, step)) return;
  if (typeof step.type !== 'string' || !(STEP_TYPES as readonly string[]).includes(step.type)) {
    check.add(`${path}.type`, `must be one of ${STEP_TYPES.join(', ')}`);
    return;
  }
  const type = step.type as StepType;
  check.knownKeys(path, step, ALLOWED_KEYS[type]);
  switch (type) {
    case 'validate':
      return checkValidate(check, path, step);
    case 'transform':
      return checkTransform(check, path, step);
    case 'filter':
      return checkFilter(check, path, step);
    case 'dedupe':
      if (step.fields !== undefined) check.fieldList(`${path}.fields`, step.fields);
      return;
    case 'enrich':
      return checkEnrich(check, path, step);
    case 'aggregate':
      check.fieldName(`${path}.field`, step.field);
      check.enumList(`${path}.ops`, step.ops, AGGREGATE_OPS);
      if (step.group_by !== undefined) check.fieldName(`${path}.group_by`, step.group_by);
      return;
  }
}

function checkValidate(check: Checker, path: string, step: Json): void {
  check.atLeastOne(path, step, ALLOWED_KEYS.validate);
  if (step.required !== undefined) check.fieldList(`${path}.required`, step.required);
  if (step.types !== undefined)
    check.fieldMap(`${path}.types`, step.types, (at, type) => check.oneOf(at, type, FIELD_TYPES));
  for (const key of ['min', 'max'] as const) {
    if (step[key] !== undefined)
      check.fieldMap(`${path}.${key}`, step[key], (at, bound) => check.finiteNumber(at, bound));
  }
  for (const key of ['min_length', 'max_length'] as const) {
    if (step[key] !== undefined)
      check.fieldMap(`${path}.${key}`, step[key], (at, bound) => check.integer(at, bound, 0));
  }
  if (step.pattern !== undefined)
    check.fieldMap(`${path}.pattern`, step.pattern, (at, source) => check.regex(at, source));
}

function checkTransform(check: Checker, path: string, step: Json): void {
  check.atLeastOne(path, step, ALLOWED_KEYS.transform);
  // The content is the record's text, not a field: it can be changed but not moved or removed.
  if (step.rename !== undefined)
    check.fieldMap(`${path}.rename`, step.rename, (at, target) => {
      if (check.fieldName(at, target) && (target === CONTENT || at === `${path}.rename.${CONTENT}`))
        check.add(at, 'the content cannot be renamed, nor a field renamed to it');
    });
  if (step.defaults !== undefined) check.fieldMap(`${path}.defaults`, step.defaults, () => undefined);
  for (const key of ['strip', 'uppercase', 'lowercase', 'to_number', 'select', 'drop'] as const) {
    if (step[key] !== undefined) check.fieldList(`${path}.${key}`, step[key]);
  }
  if (Array.isArray(step.drop) && step.drop.includes(CONTENT))
    check.add(`${path}.drop`, 'the content cannot be dropped');
  if (step.math !== undefined && check.array(`${path}.math`, step.math, 1, PROCESSING_LIMITS.listItems)) {
    step.math.forEach((op, index) => checkMathOp(check, `${path}.math[${index}]`, op));
  }
}

function checkMathOp(check: Checker, path: string, op: unknown): void {
  if (!check.object(path, op)) return;
  check.knownKeys(path, op, ['op', 'field', 'value', 'operand_field', 'into']);
  check.oneOf(`${path}.op`, op.op, MATH_OPS);
  check.fieldName(`${path}.field`, op.field);
  if (op.into !== undefined) check.fieldName(`${path}.into`, op.into);
  if (op.op === 'round') {
    if (op.operand_field !== undefined) check.add(`${path}.operand_field`, 'round takes no operand_field');
    if (op.value !== undefined) check.integer(`${path}.value`, op.value, 0, 15);
    return;
  }
  if ((op.value === undefined) === (op.operand_field === undefined)) {
    check.add(path, 'must give exactly one of value and operand_field');
  } else if (op.value !== undefined) {
    check.finiteNumber(`${path}.value`, op.value);
  } else {
    check.fieldName(`${path}.operand_field`, op.operand_field);
  }
}

function checkFilter(check: Checker, path: string, step: Json): void {
  check.atLeastOne(path, step, ['all', 'any']);
  for (const key of ['all', 'any'] as const) {
    if (step[key] !== undefined) checkConditions(check, `${path}.${key}`, step[key], 1);
  }
}

function checkConditions(check: Checker, path: string, conditions: unknown, depth: number): void {
  if (depth > PROCESSING_LIMITS.filterDepth) {
    check.add(path, `conditions nest at most ${PROCESSING_LIMITS.filterDepth} levels deep`);
    return;
  }
  if (!check.array(path, conditions, 1, PROCESSING_LIMITS.listItems)) return;
  conditions.forEach((condition, index) => {
    const at = `${path}[${index}]`;
    if (!check.object(at, condition)) return;
    if ('all' in condition || 'any' in condition) {
      check.knownKeys(at, condition, ['all', 'any']);
      for (const key of ['all', 'any'] as const) {
        if (condition[key] !== undefined) checkConditions(check, `${at}.${key}`, condition[key], depth + 1);
      }
      return;
    }
    check.knownKeys(at, condition, ['field', 'op', 'value']);
    check.fieldName(`${at}.field`, condition.field);
    if (!check.oneOf(`${at}.op`, condition.op, FILTER_OPS)) return;
    const operand = condition.value;
    switch (condition.op as (typeof FILTER_OPS)[number]) {
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        if (typeof operand !== 'number' && typeof operand !== 'string')
          check.add(`${at}.value`, `must be a number or a string for ${String(condition.op)}`);
        return;
      case 'in':
        check.array(`${at}.value`, operand, 1, PROCESSING_LIMITS.lookupEntries);
        return;
      case 'eq':
      case 'ne':
      case 'contains':
        if (operand === undefined) check.add(`${at}.value`, 'must be given');
        return;
    }
  });
}

function checkEnrich(check: Checker, path: string, step: Json): void {
  check.atLeastOne(path, step, ALLOWED_KEYS.enrich);
  if (step.llm !== undefined) {
    for (const key of Object.keys(step)) {
      if (key !== 'type' && key !== 'llm') check.add(`${path}.${key}`, 'an LLM enrichment stands alone in its step');
    }
    checkLlmEnrichment(check, `${path}.llm`, step.llm);
  }
  if (step.static !== undefined) check.fieldMap(`${path}.static`, step.static, () => undefined);
  if (step.source !== undefined) check.fieldName(`${path}.source`, step.source);
  if (step.timestamp !== undefined) check.fieldName(`${path}.timestamp`, step.timestamp);
  if (step.lookup !== undefined && check.array(`${path}.lookup`, step.lookup, 1, PROCESSING_LIMITS.listItems)) {
    step.lookup.forEach((lookup, index) => {
      const at = `${path}.lookup[${index}]`;
      if (!check.object(at, lookup)) return;
      check.knownKeys(at, lookup, ['field', 'table', 'into', 'default']);
      check.fieldName(`${at}.field`, lookup.field);
      check.fieldName(`${at}.into`, lookup.into);
      if (
        check.object(`${at}.table`, lookup.table) &&
        Object.keys(lookup.table).length > PROCESSING_LIMITS.lookupEntries
      )
        check.add(`${at}.table`, `must have at most ${PROCESSING_LIMITS.lookupEntries} entries`);
    });
  }
}

function checkLlmEnrichment(check: Checker, path: string, llm: unknown): void {
  if (!check.object(path, llm)) return;
  check.knownKeys(path, llm, ['kind', 'into', 'instruction', 'top_k']);
  check.oneOf(`${path}.kind`, llm.kind, Object.values(AnalysisKind));
  check.fieldName(`${path}.into`, llm.into);
  if (llm.into === CONTENT) check.add(`${path}.into`, 'an analysis is not written over the content');
  if (llm.instruction !== undefined && (typeof llm.instruction !== 'string' || llm.instruction.length > 1000))
    check.add(`${path}.instruction`, 'must be a string of at most 1000 characters');
  if (llm.top_k !== undefined) {
    if (llm.kind !== AnalysisKind.TOPICS) check.add(`${path}.top_k`, 'applies only to kind topics');
    else check.integer(`${path}.top_k`, llm.top_k, 1, MAX_TOP_K);
  }
}

/** Collects problems; each check returns whether the value passed, so callers can stop descending. */
class Checker {
  readonly problems: FieldError[] = [];

  add(field: string, reason: string): void {
    const existing = this.problems.find((problem) => problem.field === field);
    if (existing) existing.reasons.push(reason);
    else this.problems.push({ field, reasons: [reason] });
  }

  object(path: string, value: unknown): value is Json {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return true;
    this.add(path, 'must be an object');
    return false;
  }

  array(path: string, value: unknown, min: number, max: number): value is unknown[] {
    if (!Array.isArray(value)) {
      this.add(path, 'must be an array');
      return false;
    }
    if (value.length < min || value.length > max) {
      this.add(path, `must have ${min} to ${max} items`);
      return false;
    }
    return true;
  }

  knownKeys(path: string, value: Json, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.add(`${path}.${key}`, `is not allowed here (allowed: ${allowed.join(', ')})`);
    }
  }

  atLeastOne(path: string, value: Json, keys: readonly string[]): void {
    if (!keys.some((key) => key !== 'type' && value[key] !== undefined))
      this.add(path, `must set at least one of ${keys.filter((key) => key !== 'type').join(', ')}`);
  }

  fieldName(path: string, value: unknown): boolean {
    if (typeof value === 'string' && value.length > 0 && value.length <= PROCESSING_LIMITS.fieldNameLength) return true;
    this.add(path, `must be a field name (a string of 1 to ${PROCESSING_LIMITS.fieldNameLength} characters)`);
    return false;
  }

  fieldList(path: string, value: unknown): void {
    if (!this.array(path, value, 1, PROCESSING_LIMITS.listItems)) return;
    value.forEach((name, index) => this.fieldName(`${path}[${index}]`, name));
  }

  /** An object keyed by field names whose values each pass `checkValue`. */
  fieldMap(path: string, value: unknown, checkValue: (path: string, value: unknown) => unknown): void {
    if (!this.object(path, value)) return;
    const entries = Object.entries(value);
    if (entries.length === 0 || entries.length > PROCESSING_LIMITS.listItems) {
      this.add(path, `must have 1 to ${PROCESSING_LIMITS.listItems} fields`);
      return;
    }
    for (const [name, item] of entries) {
      const at = `${path}.${name}`;
      if (this.fieldName(at, name)) checkValue(at, item);
    }
  }

  oneOf(path: string, value: unknown, allowed: readonly string[]): boolean {
    if (typeof value === 'string' && allowed.includes(value)) return true;
    this.add(path, `must be one of ${allowed.join(', ')}`);
    return false;
  }

  enumList(path: string, value: unknown, allowed: readonly string[]): void {
    if (!this.array(path, value, 1, allowed.length)) return;
    value.forEach((item, index) => this.oneOf(`${path}[${index}]`, item, allowed));
    if (new Set(value).size !== value.length) this.add(path, 'must not repeat an item');
  }

  finiteNumber(path: string, value: unknown): boolean {
    if (typeof value === 'number' && Number.isFinite(value)) return true;
    this.add(path, 'must be a number');
    return false;
  }

  integer(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
      this.add(path, `must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? '' : ` to ${max}`}`);
  }

  regex(path: string, value: unknown): void {
    if (typeof value !== 'string' || value.length === 0 || value.length > PROCESSING_LIMITS.patternLength) {
      this.add(path, `must be a regular expression of 1 to ${PROCESSING_LIMITS.patternLength} characters`);
      return;
    }
    try {
      new RegExp(value, 'u');
    } catch (error) {
      this.add(path, `is not a valid regular expression: ${(error as Error).message}`);
    }
  }
}
