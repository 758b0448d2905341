import type { AnalysisKind } from './analysis';

/**
 * The shapes of a task's processing chain (`processing` in a task request). Types only: libs/processing
 * validates them and runs them. A step reads and writes a record's `fields` by name; the name `content`
 * addresses the record's text instead.
 */

export const FIELD_TYPES = ['string', 'number', 'boolean', 'object', 'array'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface ValidateStep {
  type: 'validate';
  required?: string[];
  types?: Record<string, FieldType>;
  /** Smallest allowed number. */
  min?: Record<string, number>;
  max?: Record<string, number>;
  /** Shortest allowed string (characters) or array (items). */
  min_length?: Record<string, number>;
  max_length?: Record<string, number>;
  /** A regular expression the string must match. */
  pattern?: Record<string, string>;
}

export const MATH_OPS = ['add', 'subtract', 'multiply', 'divide', 'power', 'round'] as const;
export type MathOpName = (typeof MATH_OPS)[number];

/** `field <op> value` (or `field <op> fields[operand_field]`), written into `into` (default: `field`). */
export interface MathOp {
  op: MathOpName;
  field: string;
  /** The right-hand operand; for `round`, the number of decimals (default 0). */
  value?: number;
  operand_field?: string;
  into?: string;
}

/** Applied in the order of the properties below. */
export interface TransformStep {
  type: 'transform';
  /** old name → new name */
  rename?: Record<string, string>;
  /** Set when missing or null. */
  defaults?: Record<string, unknown>;
  strip?: string[];
  uppercase?: string[];
  lowercase?: string[];
  to_number?: string[];
  math?: MathOp[];
  /** Keep only these fields (the content is always kept). */
  select?: string[];
  drop?: string[];
}

export const FILTER_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'contains'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface FilterComparison {
  field: string;
  op: FilterOp;
  value: unknown;
}

export type FilterCondition = FilterComparison | { all: FilterCondition[] } | { any: FilterCondition[] };

/** Keeps the records that match; give `all` or `any` (or both: both must hold). */
export interface FilterStep {
  type: 'filter';
  all?: FilterCondition[];
  any?: FilterCondition[];
}

/** Keeps the first record of each key: the listed fields' values, or the whole record's content hash. */
export interface DedupeStep {
  type: 'dedupe';
  fields?: string[];
}

export interface LookupEnrichment {
  /** The field whose value is looked up. */
  field: string;
  table: Record<string, unknown>;
  into: string;
  /** Written when the value is not in the table (nothing is written without it). */
  default?: unknown;
}

/**
 * An LLM analysis of the record written into one of its fields. It runs in the evaluate stage, where
 * the LLM is, so it stands alone in its step and comes after every other record step.
 */
export interface LlmEnrichment {
  kind: AnalysisKind;
  into: string;
  /** What to look for, as a dimension's description would say it. */
  instruction?: string;
  /** kind topics: at most this many. */
  top_k?: number;
}

export interface EnrichStep {
  type: 'enrich';
  /** Fields set on every record. */
  static?: Record<string, unknown>;
  /** Field that receives the record's source id. */
  source?: string;
  /** Field that receives the time the record went through the chain (ISO 8601). */
  timestamp?: string;
  lookup?: LookupEnrichment[];
  llm?: LlmEnrichment;
}

export const AGGREGATE_OPS = ['sum', 'avg', 'min', 'max', 'count'] as const;
export type AggregateOp = (typeof AGGREGATE_OPS)[number];

/** Computed over the records that leave the chain, into `result.aggregates`; always the last steps. */
export interface AggregateStep {
  type: 'aggregate';
  field: string;
  ops: AggregateOp[];
  group_by?: string;
}

export type ProcessingStep = ValidateStep | TransformStep | FilterStep | DedupeStep | EnrichStep | AggregateStep;
export type StepType = ProcessingStep['type'];
export const STEP_TYPES: readonly StepType[] = ['validate', 'transform', 'filter', 'dedupe', 'enrich', 'aggregate'];

/** A preset's steps run first, then the task's own. */
export interface ProcessingSpec {
  preset?: string;
  steps?: ProcessingStep[];
}

/** One aggregate step's figures, over the numeric values of `field` (per group when grouped). */
export interface AggregateFigures {
  count?: number;
  sum?: number;
  avg?: number | null;
  min?: number | null;
  max?: number | null;
}

export interface AggregateResult {
  field: string;
  group_by?: string;
  /** Present without group_by. */
  values?: AggregateFigures;
  /** Present with group_by: one entry per group value (null groups records without it), ordered by key. */
  groups?: ({ key: string | null } & AggregateFigures)[];
}
