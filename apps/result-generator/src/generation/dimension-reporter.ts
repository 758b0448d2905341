import { describeError } from '@app/common';
import type {
  AnalysisOutput,
  AnalysisSummary,
  TaskSpec,
  DimensionSpec,
  DimensionResultDto,
  LlmUsage,
} from '@app/contracts';
import { AnalysisKind, DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { LlmClient, SummarizeDimensionInput } from '@app/llm';
import { analysisKind, MAX_SUMMARY_SAMPLES, UsageMeter } from '@app/llm';
import type { DimensionScores } from '@app/persistence';
import { toScoreStatistics } from './score-statistics';

/**
 * What a dimension's report is made of, read from Postgres: figures of the numbers and the passing
 * records (both computed there), and the answers streamed.
 */
export interface DimensionInputs {
  scores(threshold: number, limits: { passed: number; best: number }): Promise<DimensionScores>;
  analyses(): AsyncIterable<unknown>;
}

/**
 * One dimension of the generate stage, its three steps in order: select the records that pass the
 * threshold, aggregate (statistics of the numbers; the kind's own aggregation of the answers), have
 * the LLM write the summary. Returns the result with what its summary cost.
 */
export class DimensionReporter {
  constructor(
    private readonly llm: Pick<LlmClient, 'summarizeDimension'>,
    private readonly maxPassedRecords: number,
  ) {}

  async report(
    spec: TaskSpec,
    dimension: DimensionSpec,
    inputs: DimensionInputs,
    signal: AbortSignal,
  ): Promise<{ result: DimensionResultDto; usage: LlmUsage }> {
    const kind = dimension.kind ?? AnalysisKind.SCORE;
    const definition = analysisKind(kind);
    // A number kind without a threshold (a sentiment's confidence) lets every record pass.
    const threshold = dimension.threshold ?? 0;
    const scores = definition.yieldsNumber
      ? await inputs.scores(threshold, { passed: this.maxPassedRecords, best: MAX_SUMMARY_SAMPLES })
      : undefined;
    const statistics = scores ? toScoreStatistics(scores.figures) : null;
    const passed = scores?.passed ?? [];
    const best = scores?.best ?? [];
    const analysis = kind === AnalysisKind.SCORE ? null : await this.aggregate(kind, inputs.analyses());
    const samples = best.map((entry) => ({ record_id: entry.recordId, score: entry.score }));
    const meter = new UsageMeter();
    const maxTokens = spec.llm?.maxTokens;
    const summary = await this.summarize(
      {
        model: spec.llm?.model ?? '',
        temperature: spec.llm?.temperature ?? DEFAULT_TEMPERATURE,
        ...(maxTokens === undefined ? {} : { maxTokens }),
        dimension,
        statistics: {
          ...(statistics ? { ...statistics, threshold } : {}),
          ...(analysis ? summaryFigures(analysis) : {}),
        },
        samples,
      },
      signal,
      meter,
    );
    const result: DimensionResultDto = {
      dimension_id: dimension.id,
      name: dimension.name,
      kind,
      threshold: dimension.threshold ?? null,
      statistics,
      passed_records: passed.map((entry) => ({
        source_id: entry.sourceId,
        record_id: entry.recordId,
        score: entry.score,
      })),
      ...summary,
      ...(analysis ? { analysis } : {}),
    };
    return { result, usage: meter.usage };
  }

  private async aggregate(kind: AnalysisKind, answers: AsyncIterable<unknown>): Promise<AnalysisSummary | null> {
    const summarizer = analysisKind(kind).summarizer();
    for await (const answer of answers) summarizer.add(answer as AnalysisOutput);
    return summarizer.result();
  }

  /**
   * The provider's verdict on a summary request costs the dimension its summary, not the task its
   * result; a fatal refusal (a bad key, an outage past its limit) and the service's own failures
   * propagate, to fail the task or have Bull retry.
   */
  private async summarize(
    input: SummarizeDimensionInput,
    signal: AbortSignal,
    meter: UsageMeter,
  ): Promise<{ summary: string | null; summary_error?: string }> {
    try {
      return { summary: await this.llm.summarizeDimension(input, signal, meter) };
    } catch (error) {
      if (signal.aborted || !(error instanceof ProviderError) || error.fatal) throw error;
      return { summary: null, summary_error: describeError(error) };
    }
  }
}

/** The aggregation as the flat figures the summary prompt lists (the most frequent entries first). */
function summaryFigures(analysis: AnalysisSummary): Record<string, number> {
  const top = (prefix: string, entries: readonly { name: string; count: number }[]) =>
    Object.fromEntries(entries.slice(0, MAX_SUMMARY_SAMPLES).map((entry) => [`${prefix} ${entry.name}`, entry.count]));
  switch (analysis.kind) {
    case AnalysisKind.SENTIMENT:
      return { ...analysis.distribution, mean_confidence: analysis.mean_confidence ?? 0 };
    case AnalysisKind.TOPICS:
      return { distinct_topics: analysis.distinct, ...top('topic', analysis.topics) };
    case AnalysisKind.ERROR_ANALYSIS:
      return { ...analysis.by_type, ...top('knowledge point', analysis.by_knowledge_point) };
    case AnalysisKind.KNOWLEDGE_POINTS:
      return {
        knowledge_points: analysis.distinct_nodes,
        dependencies: analysis.distinct_edges,
        ...top('knowledge point', analysis.nodes),
      };
  }
}
