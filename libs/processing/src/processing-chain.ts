import type { AggregateStep, LlmEnrichment, ProcessingSpec, ProcessingStep } from '@app/contracts';
import type { ChainRecord } from './field-access';
import { llmEnrichments, resolveSteps } from './presets';
import {
  dedupeKey,
  enrichRecord,
  matchesFilter,
  RecordRejected,
  transformRecord,
  validateRecord,
} from './step-executors';

export type ChainOutcome =
  /** Goes on to storage. `dedupeKey` is set by a dedupe step: storage keeps one record per key. */
  | { kind: 'kept'; record: ChainRecord; dedupeKey: string | null }
  /** Stored as failed, with every reason. */
  | { kind: 'failed'; record: ChainRecord; dedupeKey: string | null; reasons: string[] }
  /** Left out by a filter step. */
  | { kind: 'dropped' };

/**
 * A task's processing chain, compiled once per run: each record goes through the record steps in
 * order. Pure apart from the clock read by `enrich.timestamp`: the input record is never changed.
 * Aggregate steps are not run here; they summarise the stored records at the end (see aggregates).
 */
export class ProcessingChain {
  readonly recordSteps: readonly Exclude<ProcessingStep, AggregateStep>[];
  readonly aggregateSteps: readonly AggregateStep[];
  /** Run by the evaluate stage, after the record steps (see LlmEnrichment). */
  readonly llmEnrichments: readonly LlmEnrichment[];
  private readonly patterns = new Map<string, RegExp>();

  constructor(spec: ProcessingSpec | undefined) {
    const steps = resolveSteps(spec);
    this.recordSteps = steps.filter(
      (step): step is Exclude<ProcessingStep, AggregateStep> =>
        step.type !== 'aggregate' && !(step.type === 'enrich' && step.llm !== undefined),
    );
    this.llmEnrichments = llmEnrichments(spec);
    this.aggregateSteps = steps.filter((step): step is AggregateStep => step.type === 'aggregate');
    for (const step of this.recordSteps) {
      if (step.type !== 'validate') continue;
      for (const source of Object.values(step.pattern ?? {})) this.patterns.set(source, new RegExp(source, 'u'));
    }
  }

  get isEmpty(): boolean {
    return this.recordSteps.length === 0;
  }

  run(input: ChainRecord, now: Date): ChainOutcome {
    const record: ChainRecord = { ...input, fields: structuredClone(input.fields) };
    let key: string | null = null;
    for (const [index, step] of this.recordSteps.entries()) {
      const at = `step ${index} (${step.type})`;
      try {
        switch (step.type) {
          case 'validate': {
            const reasons = validateRecord(step, record, this.patterns);
            if (reasons.length > 0) {
              return { kind: 'failed', record, dedupeKey: key, reasons: reasons.map((reason) => `${at}: ${reason}`) };
            }
            break;
          }
          case 'transform':
            transformRecord(step, record);
            break;
          case 'filter':
            if (!matchesFilter(step, record)) return { kind: 'dropped' };
            break;
          case 'dedupe':
            key = dedupeKey(step, record);
            break;
          case 'enrich':
            enrichRecord(step, record, now);
            break;
        }
      } catch (error) {
        if (!(error instanceof RecordRejected)) throw error;
        return { kind: 'failed', record, dedupeKey: key, reasons: [`${at}: ${error.message}`] };
      }
    }
    return { kind: 'kept', record, dedupeKey: key };
  }
}
