import { describeError } from '@app/common';
import type { TaskSpec, DimensionSpec, DimensionResultDto } from '@app/contracts';
import { DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { LlmClient, SummarizeDimensionInput } from '@app/llm';
import { MAX_SUMMARY_SAMPLES } from '@app/llm';
import type { RecordScore } from '@app/persistence';
import { scoreStatistics } from './score-statistics';

/**
 * One dimension of the generate stage, its three steps in order: select the records that pass the
 * threshold, aggregate the statistics, have the LLM write the summary.
 */
export class DimensionReporter {
  constructor(
    private readonly llm: Pick<LlmClient, 'summarizeDimension'>,
    private readonly maxPassedRecords: number,
  ) {}

  async report(
    spec: TaskSpec,
    dimension: DimensionSpec,
    scores: readonly RecordScore[],
    signal: AbortSignal,
  ): Promise<DimensionResultDto> {
    const passed = scores.filter((entry) => entry.score >= dimension.threshold);
    const statistics = scoreStatistics(
      scores.map((entry) => entry.score),
      dimension.threshold,
    );
    const samples = [...passed]
      .sort((a, b) => b.score - a.score)
      .slice(0, MAX_SUMMARY_SAMPLES)
      .map((entry) => ({ record_id: entry.recordId, score: entry.score }));
    const summary = await this.summarize(
      {
        model: spec.llm.model,
        temperature: spec.llm.temperature ?? DEFAULT_TEMPERATURE,
        dimension,
        statistics: { ...statistics, threshold: dimension.threshold },
        samples,
      },
      signal,
    );
    return {
      dimension_id: dimension.id,
      name: dimension.name,
      threshold: dimension.threshold,
      statistics,
      passed_records: passed
        .slice(0, this.maxPassedRecords)
        .map((entry) => ({ source_id: entry.sourceId, record_id: entry.recordId, score: entry.score })),
      ...summary,
    };
  }

  /**
   * The provider's refusal to write a summary (after the client's retries) costs the dimension its
   * summary, not the task its result; the service's own failures propagate so that Bull retries.
   */
  private async summarize(
    input: SummarizeDimensionInput,
    signal: AbortSignal,
  ): Promise<{ summary: string | null; summary_error?: string }> {
    try {
      return { summary: await this.llm.summarizeDimension(input, signal) };
    } catch (error) {
      if (signal.aborted || !(error instanceof ProviderError)) throw error;
      return { summary: null, summary_error: describeError(error) };
    }
  }
}
