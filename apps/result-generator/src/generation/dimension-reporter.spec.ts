import type { TaskSpec, DimensionSpec } from '@app/contracts';
import { AnalysisKind, DataSourceType, DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { SummarizeDimensionInput } from '@app/llm';
import type { UsageMeter } from '@app/llm';
import { MAX_SUMMARY_SAMPLES } from '@app/llm';
import type { RecordScore, ScoreFigures } from '@app/persistence';
import type { DimensionInputs } from './dimension-reporter';
import { DimensionReporter } from './dimension-reporter';
import { toScoreStatistics } from './score-statistics';

const DIMENSION = { id: 'dim1', name: 'Quality', threshold: 0.6 } satisfies DimensionSpec;

function spec(temperature?: number): TaskSpec {
  return {
    sources: [{ id: 's', type: DataSourceType.API, url: 'u' }],
    llm: { model: 'model-x', ...(temperature === undefined ? {} : { temperature }) },
    dimensions: [DIMENSION],
  };
}

/** What GenerationStore computes in Postgres (tested there), computed here over a few numbers. */
function figuresOf(values: readonly number[], threshold: number): ScoreFigures {
  const count = values.length;
  if (count === 0) return { count: 0, passed: 0, mean: 0, min: 0, max: 0, median: 0, p90: 0, stddev: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, value) => sum + value, 0) / count;
  const percentile = (fraction: number): number => {
    const position = (count - 1) * fraction;
    const lower = Math.floor(position);
    return sorted[lower] + (sorted[Math.ceil(position)] - sorted[lower]) * (position - lower);
  };
  return {
    count,
    passed: sorted.filter((value) => value >= threshold).length,
    mean,
    min: sorted[0],
    max: sorted[count - 1],
    median: percentile(0.5),
    p90: percentile(0.9),
    stddev: Math.sqrt(sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / count),
  };
}

const statisticsOf = (values: readonly number[], threshold: number) => toScoreStatistics(figuresOf(values, threshold));

/** The inputs of a dimension whose records (in collection order) scored `entries`, and answered `answers`. */
function inputsOver(entries: readonly RecordScore[], answers: readonly unknown[]): DimensionInputs {
  return {
    scores: async (threshold, limits) => {
      const passed = entries.filter((entry) => entry.score >= threshold);
      return {
        figures: figuresOf(
          entries.map((entry) => entry.score),
          threshold,
        ),
        passed: passed.slice(0, limits.passed),
        best: [...passed].sort((a, b) => b.score - a.score).slice(0, limits.best),
      };
    },
    analyses: () => stream([...answers]),
  };
}

function entriesOf(values: number[]): RecordScore[] {
  return values.map((score, i) => ({ sourceId: i % 2 === 0 ? 'a' : 'b', recordId: `r${i}`, score }));
}

function scoresOf(values: number[]): DimensionInputs {
  return inputsOver(
    entriesOf(values),
    values.map((score) => ({ score })),
  );
}

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

function reporterWith(maxPassedRecords: number, summary = 'a summary') {
  const llm = { summarizeDimension: jest.fn(async (_input: SummarizeDimensionInput, _signal: AbortSignal) => summary) };
  return { reporter: new DimensionReporter(llm, maxPassedRecords), llm };
}

const live = (): AbortSignal => new AbortController().signal;

describe(DimensionReporter.name, () => {
  it('lists the records at or above the threshold (inclusive), in collection order, with statistics and the summary', async () => {
    const { reporter } = reporterWith(100, 'Mostly fine.');
    const scores = scoresOf([0.59, 0.6, 0.9, 0.1, 0.61]);

    const { result } = await reporter.report(spec(), DIMENSION, scores, live());

    expect(result).toEqual({
      dimension_id: 'dim1',
      name: 'Quality',
      kind: AnalysisKind.SCORE,
      threshold: 0.6,
      statistics: statisticsOf([0.59, 0.6, 0.9, 0.1, 0.61], 0.6),
      passed_records: [
        { source_id: 'b', record_id: 'r1', score: 0.6 },
        { source_id: 'a', record_id: 'r2', score: 0.9 },
        { source_id: 'a', record_id: 'r4', score: 0.61 },
      ],
      summary: 'Mostly fine.',
    });
    expect(result.statistics!.count).toBe(5);
    expect(result.statistics!.passed).toBe(3);
  });

  it('caps passed_records at maxPassedRecords while the statistics still cover every record', async () => {
    const { reporter } = reporterWith(2);
    const scores = scoresOf([0.7, 0.8, 0.9, 0.95, 0.1]);

    const { result } = await reporter.report(spec(), DIMENSION, scores, live());

    expect(result.passed_records.map((entry) => entry.record_id)).toEqual(['r0', 'r1']);
    expect(result.statistics!.passed).toBe(4);
    expect(result.statistics!.count).toBe(5);
  });

  it('lists no passed records when maxPassedRecords is 0', async () => {
    const { reporter } = reporterWith(0);
    const { result } = await reporter.report(spec(), DIMENSION, scoresOf([0.9, 0.8]), live());
    expect(result.passed_records).toEqual([]);
    expect(result.statistics!.passed).toBe(2);
  });

  it('gives the LLM at most 10 passed samples, best score first, with the statistics and the threshold', async () => {
    const { reporter, llm } = reporterWith(1000);
    // 15 passing scores 0.61 .. 0.75 in shuffled order, plus failing ones that must never be sampled
    const passing = Array.from({ length: 15 }, (_, i) => Math.round((0.61 + i * 0.01) * 100) / 100);
    const shuffled = [...passing.filter((_, i) => i % 2 === 0), 0.1, ...passing.filter((_, i) => i % 2 === 1), 0.59];
    const scores = scoresOf(shuffled);
    const signal = live();

    await reporter.report(spec(0.3), DIMENSION, scores, signal);

    expect(llm.summarizeDimension).toHaveBeenCalledTimes(1);
    const [input, passedSignal] = llm.summarizeDimension.mock.calls[0];
    expect(passedSignal).toBe(signal);
    expect(MAX_SUMMARY_SAMPLES).toBe(10);
    expect(input.samples).toHaveLength(10);
    expect(input.samples.map((sample) => sample.score)).toEqual([...passing].sort((a, b) => b - a).slice(0, 10));
    const byScore = new Map(entriesOf(shuffled).map((entry) => [entry.score, entry.recordId]));
    for (const sample of input.samples) expect(sample.record_id).toBe(byScore.get(sample.score));
    expect(input).toMatchObject({
      model: 'model-x',
      temperature: 0.3,
      dimension: DIMENSION,
      statistics: { ...statisticsOf(shuffled, 0.6), threshold: 0.6 },
    });
  });

  it('uses the default temperature when the task has none', async () => {
    const { reporter, llm } = reporterWith(10);
    await reporter.report(spec(), DIMENSION, scoresOf([0.9]), live());
    expect(llm.summarizeDimension.mock.calls[0][0].temperature).toBe(DEFAULT_TEMPERATURE);
  });

  it('reports a dimension without scores: empty statistics, no samples, no passed records', async () => {
    const { reporter, llm } = reporterWith(10);

    const { result } = await reporter.report(spec(), DIMENSION, scoresOf([]), live());

    expect(result.statistics!.count).toBe(0);
    expect(result.passed_records).toEqual([]);
    expect(llm.summarizeDimension.mock.calls[0][0].samples).toEqual([]);
  });

  it("propagates the service's own failures (e.g. Redis unreachable) so that Bull retries", async () => {
    const { reporter, llm } = reporterWith(10);
    llm.summarizeDimension.mockRejectedValueOnce(new Error('Connection is closed.'));
    await expect(reporter.report(spec(), DIMENSION, scoresOf([0.9]), live())).rejects.toThrow('Connection is closed.');
  });

  it("propagates the task's abort, even as a provider error", async () => {
    const { reporter, llm } = reporterWith(10);
    const controller = new AbortController();
    llm.summarizeDimension.mockImplementationOnce(async () => {
      controller.abort(new Error('cancelled'));
      throw new ProviderError('aborted mid-call', { retryable: true });
    });
    await expect(reporter.report(spec(), DIMENSION, scoresOf([0.9]), controller.signal)).rejects.toThrow(
      'aborted mid-call',
    );
  });

  it("keeps the dimension's result without a summary when the provider refuses to write one", async () => {
    const { reporter, llm } = reporterWith(10);
    llm.summarizeDimension.mockRejectedValueOnce(
      new ProviderError('rejected by content policy', { status: 400, retryable: false }),
    );
    const { result } = await reporter.report(spec(), DIMENSION, scoresOf([0.9, 0.1]), live());
    expect(result).toMatchObject({ summary: null, summary_error: 'ProviderError: rejected by content policy' });
    expect(result.statistics).toEqual(statisticsOf([0.9, 0.1], DIMENSION.threshold));
    expect(result.passed_records).toHaveLength(1);
  });

  it('propagates a refusal of the service itself (a bad key) instead of keeping the dimension without a summary', async () => {
    const { reporter, llm } = reporterWith(10);
    const refusal = new ProviderError('provider answered 401: bad key', { status: 401, retryable: false, fatal: true });
    llm.summarizeDimension.mockRejectedValueOnce(refusal);
    await expect(reporter.report(spec(), DIMENSION, scoresOf([0.9]), live())).rejects.toBe(refusal);
  });

  it("returns what the dimension's summary cost", async () => {
    const llm = {
      summarizeDimension: jest.fn(async (_input: SummarizeDimensionInput, _signal: AbortSignal, meter: UsageMeter) => {
        meter.call({ promptTokens: 40, completionTokens: 12 });
        return 'Fine.';
      }),
    };
    const { usage } = await new DimensionReporter(llm, 10).report(spec(), DIMENSION, scoresOf([0.9]), live());
    expect(usage).toEqual({ promptTokens: 40, completionTokens: 12, calls: 1, cacheHits: 0 });
  });

  it('reports a sentiment: statistics of the confidences against the threshold, the distribution, both in the prompt', async () => {
    const { reporter, llm } = reporterWith(10);
    const answers = [
      { label: 'positive', confidence: 0.9 },
      { label: 'negative', confidence: 0.7 },
      { label: 'positive', confidence: 0.5 },
    ];
    const inputs = inputsOver(
      answers.map((answer, i) => ({ sourceId: 's', recordId: `r${i}`, score: answer.confidence })),
      answers,
    );
    const dimension: DimensionSpec = { id: 'tone', name: 'Tone', kind: AnalysisKind.SENTIMENT, threshold: 0.6 };

    const { result } = await reporter.report(spec(), dimension, inputs, live());

    expect(result).toMatchObject({
      kind: AnalysisKind.SENTIMENT,
      threshold: 0.6,
      statistics: statisticsOf([0.9, 0.7, 0.5], 0.6),
      passed_records: [
        { source_id: 's', record_id: 'r0', score: 0.9 },
        { source_id: 's', record_id: 'r1', score: 0.7 },
      ],
      analysis: { kind: 'sentiment', distribution: { positive: 2, neutral: 0, negative: 1 }, mean_confidence: 0.7 },
    });
    expect(llm.summarizeDimension.mock.calls[0][0].statistics).toMatchObject({ positive: 2, negative: 1, passed: 2 });
  });

  it('reports a kind without a number by its aggregation only', async () => {
    const { reporter, llm } = reporterWith(10);
    const inputs = inputsOver([], [{ topics: ['billing', 'refund'] }, { topics: ['billing'] }]);
    const dimension: DimensionSpec = { id: 'about', name: 'About', kind: AnalysisKind.TOPICS };

    const { result } = await reporter.report(spec(), dimension, inputs, live());

    expect(result).toEqual({
      dimension_id: 'about',
      name: 'About',
      kind: AnalysisKind.TOPICS,
      threshold: null,
      statistics: null,
      passed_records: [],
      summary: 'a summary',
      analysis: {
        kind: 'topics',
        topics: [
          { name: 'billing', count: 2 },
          { name: 'refund', count: 1 },
        ],
        distinct: 2,
      },
    });
    expect(llm.summarizeDimension.mock.calls[0][0].statistics).toEqual({
      distinct_topics: 2,
      'topic billing': 2,
      'topic refund': 1,
    });
  });
});
