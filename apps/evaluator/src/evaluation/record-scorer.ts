import { describeError } from '@app/common';
import type { AnalysisOutput, TaskSpec, DimensionSpec, LlmEnrichment } from '@app/contracts';
import { AnalysisKind, DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { LlmClient, UsageMeters } from '@app/llm';
import { analysisKind } from '@app/llm';
import type { ChunkRecord, RecordOutcome } from '@app/persistence';
import { llmEnrichments } from '@app/processing';

/** One LLM question about a record: a dimension, or an enrichment put as one. */
interface Question {
  /** Names the question in a failed record's error and its usage. */
  label: string;
  dimension: DimensionSpec;
}

type Answers = { outputs: AnalysisOutput[] } | { error: string };

/**
 * The LLM's part of one record: first the processing chain's LLM enrichments, each written into the
 * record's field; then every dimension of the task on the record so enriched, each with its kind (a
 * score by default). The answers are kept per dimension, and the number a threshold applies to
 * (where the kind yields one) among the scores. Only the provider's verdict on the record (a
 * refusal, a 400 on this input, a reply that does not fit its kind after a re-ask) fails the record,
 * not the chunk: the record is stored as failed with the reason. The task's cancellation, the
 * provider's refusal of the service itself (ProviderError.fatal: a bad key, an outage past its limit)
 * and the service's own failures propagate. What the calls cost goes to each question's meter.
 */
export class RecordScorer {
  constructor(private readonly llm: Pick<LlmClient, 'analyseRecord'>) {}

  async score(record: ChunkRecord, spec: TaskSpec, signal: AbortSignal, meters: UsageMeters): Promise<RecordOutcome> {
    const identity = { sourceId: record.sourceId, recordId: record.recordId };
    const enrichments = llmEnrichments(spec.processing);
    let fields = record.fields;
    if (enrichments.length > 0) {
      const enriched = await this.ask(spec, record, fields, enrichments.map(asQuestion), signal, meters);
      if ('error' in enriched) return { ...identity, error: enriched.error };
      fields = { ...fields };
      enrichments.forEach((enrichment, index) => (fields[enrichment.into] = enriched.outputs[index]));
    }
    const questions = spec.dimensions.map((dimension) => ({ label: dimension.id, dimension }));
    const answered = await this.ask(spec, record, fields, questions, signal, meters);
    if ('error' in answered) return { ...identity, error: answered.error };
    const scores: Record<string, number> = {};
    const analyses: Record<string, unknown> = {};
    spec.dimensions.forEach((dimension, index) => {
      const output = answered.outputs[index];
      analyses[dimension.id] = output;
      const value = analysisKind(kindOf(dimension)).value(output);
      if (value !== null) scores[dimension.id] = value;
    });
    return { ...identity, scores, analyses, ...(enrichments.length > 0 ? { fields } : {}) };
  }

  private async ask(
    spec: TaskSpec,
    record: ChunkRecord,
    fields: Record<string, unknown>,
    questions: readonly Question[],
    signal: AbortSignal,
    meters: UsageMeters,
  ): Promise<Answers> {
    const maxTokens = spec.llm?.maxTokens;
    const settled = await Promise.allSettled(
      questions.map(({ label, dimension }) =>
        this.llm.analyseRecord(
          {
            model: spec.llm?.model ?? '',
            temperature: spec.llm?.temperature ?? DEFAULT_TEMPERATURE,
            ...(maxTokens === undefined ? {} : { maxTokens }),
            dimension,
            kind: kindOf(dimension),
            ...(dimension.topK === undefined ? {} : { params: { topK: dimension.topK } }),
            record: { id: record.recordId, content: record.content, fields },
          },
          signal,
          meters.for(label),
        ),
      ),
    );
    if (signal.aborted) throw signal.reason;
    // Only the provider's verdict on this record fails the record; anything else (the cache or the
    // limiter unreachable) is the service's own trouble and fails the job, which Bull retries, and a
    // fatal refusal fails the task.
    const infrastructure = settled.find(
      (outcome) =>
        outcome.status === 'rejected' && (!(outcome.reason instanceof ProviderError) || outcome.reason.fatal),
    );
    if (infrastructure) throw (infrastructure as PromiseRejectedResult).reason;
    const failures = settled.flatMap((outcome, index) =>
      outcome.status === 'rejected' ? [`${questions[index].label}: ${describeError(outcome.reason)}`] : [],
    );
    if (failures.length > 0) return { error: failures.join('; ') };
    return {
      outputs: settled.map((outcome) => (outcome as PromiseFulfilledResult<{ output: AnalysisOutput }>).value.output),
    };
  }
}

function asQuestion(enrichment: LlmEnrichment): Question {
  return {
    label: `enrich ${enrichment.into}`,
    dimension: {
      id: enrichment.into,
      name: enrichment.instruction ?? enrichment.into,
      kind: enrichment.kind,
      ...(enrichment.instruction === undefined ? {} : { description: enrichment.instruction }),
      ...(enrichment.top_k === undefined ? {} : { topK: enrichment.top_k }),
    },
  };
}

function kindOf(dimension: DimensionSpec): AnalysisKind {
  return dimension.kind ?? AnalysisKind.SCORE;
}
