import type { LlmEnrichment, ProcessingSpec, ProcessingStep } from '@app/contracts';

export interface ProcessingPreset {
  description: string;
  steps: ProcessingStep[];
}

const VALIDATE_CONTENT: ProcessingStep = { type: 'validate', required: ['content'], min_length: { content: 1 } };
const CLEAN_CONTENT: ProcessingStep = { type: 'transform', strip: ['content'] };
const STAMP: ProcessingStep = { type: 'enrich', source: 'source', timestamp: 'processed_at' };

/**
 * The chain types of the earlier job platforms as named step lists. Export and notification are not
 * steps on this model but the task's `outputs`, so the presets that end in them say so and leave the
 * destination to the request.
 */
export const PRESETS: Readonly<Record<string, ProcessingPreset>> = {
  validation_only: {
    description: 'Validate: every record needs a non-empty content.',
    steps: [VALIDATE_CONTENT],
  },
  transform_export: {
    description: 'Transform (strip the content), then export: add an `export` output to the task.',
    steps: [CLEAN_CONTENT],
  },
  enrich_notify: {
    description:
      'Enrich (source id into `source`, processing time into `processed_at`), then notify: add an `email` or webhook `export` output.',
    steps: [STAMP],
  },
  standard: {
    description: 'The full chain: validate → transform → enrich, then export and notify through the task’s `outputs`.',
    steps: [VALIDATE_CONTENT, CLEAN_CONTENT, STAMP],
  },
  data_chain: {
    description: 'Clean → transform → analyse: strip and lower-case the content, drop empty and duplicate records.',
    steps: [
      { type: 'transform', strip: ['content'], lowercase: ['content'] },
      { type: 'filter', all: [{ field: 'content', op: 'ne', value: '' }] },
      { type: 'dedupe' },
    ],
  },
  math_chain: {
    description:
      'Numbers in the field `value`: converted to numbers, validated, then summed, averaged, with min, max and count.',
    steps: [
      { type: 'transform', to_number: ['value'] },
      { type: 'validate', required: ['value'], types: { value: 'number' } },
      { type: 'aggregate', field: 'value', ops: ['sum', 'avg', 'min', 'max', 'count'] },
    ],
  },
  io_chain: {
    description:
      'Records in from the sources and out through the outputs: validated and stamped with source and time; add an `export` output.',
    steps: [VALIDATE_CONTENT, STAMP],
  },
};

/** The preset's steps, then the task's own. */
export function resolveSteps(spec: ProcessingSpec | undefined): ProcessingStep[] {
  if (!spec) return [];
  if (spec.preset !== undefined && !(spec.preset in PRESETS)) throw new RangeError(`unknown preset ${spec.preset}`);
  const preset = spec.preset === undefined ? [] : PRESETS[spec.preset].steps;
  return [...preset, ...(spec.steps ?? [])];
}

/** The chain's LLM enrichments, in order: the evaluate stage runs them before the dimensions. */
export function llmEnrichments(spec: ProcessingSpec | undefined): LlmEnrichment[] {
  return resolveSteps(spec).flatMap((step) => (step.type === 'enrich' && step.llm ? [step.llm] : []));
}
