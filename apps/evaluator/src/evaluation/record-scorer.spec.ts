import { CancelledError } from '@app/common';
import type { AnalysisOutput, TaskSpec } from '@app/contracts';
import { AnalysisKind, DataSourceType, DEFAULT_TEMPERATURE, ProviderError } from '@app/contracts';
import type { AnalyseRecordInput, UsageMeter } from '@app/llm';
import { UsageMeters } from '@app/llm';
import type { ChunkRecord } from '@app/persistence';
import { RecordScorer } from './record-scorer';

const RECORD: ChunkRecord = { sourceId: 'src1', recordId: 'rec1', content: 'hello', fields: { lang: 'en' } };

function spec(temperature?: number): TaskSpec {
  return {
    sources: [{ id: 'src1', type: DataSourceType.API, url: 'u' }],
    llm: { model: 'model-x', ...(temperature === undefined ? {} : { temperature }) },
    dimensions: [
      { id: 'quality', name: 'Quality', threshold: 0.6 },
      { id: 'relevance', name: 'Relevance', threshold: 0.5 },
    ],
  };
}

type ScoreFn = (input: AnalyseRecordInput, signal: AbortSignal) => Promise<{ score: number; cached: boolean }>;

/** An LLM whose score answers come from `score`; other kinds get a fixed answer of their kind. */
function scorerWith(score: ScoreFn, answers: Partial<Record<AnalysisKind, AnalysisOutput>> = {}) {
  const llm = {
    analyseRecord: jest.fn(async (input: AnalyseRecordInput, signal: AbortSignal) => {
      if (input.kind !== AnalysisKind.SCORE) return { output: answers[input.kind] as never, cached: false };
      const { score: value, cached } = await score(input, signal);
      return { output: { score: value } as never, cached };
    }),
  };
  return { scorer: new RecordScorer(llm), llm };
}

const live = (): AbortSignal => new AbortController().signal;

describe(RecordScorer.name, () => {
  it('scores the record on every dimension, keyed by dimension id', async () => {
    const byDimension: Record<string, number> = { quality: 0.8, relevance: 0.3 };
    const { scorer, llm } = scorerWith(async (input) => ({ score: byDimension[input.dimension.id], cached: false }));

    const outcome = await scorer.score(RECORD, spec(0.2), live(), new UsageMeters());

    expect(outcome).toEqual({
      sourceId: 'src1',
      recordId: 'rec1',
      scores: { quality: 0.8, relevance: 0.3 },
      analyses: { quality: { score: 0.8 }, relevance: { score: 0.3 } },
    });
    expect(llm.analyseRecord).toHaveBeenCalledTimes(2);
    const [input] = llm.analyseRecord.mock.calls[0];
    expect(input).toEqual({
      model: 'model-x',
      temperature: 0.2,
      dimension: spec().dimensions[0],
      kind: AnalysisKind.SCORE,
      record: { id: 'rec1', content: 'hello', fields: { lang: 'en' } },
    });
  });

  it('asks each dimension for its kind and keeps a number only where the kind yields one', async () => {
    const { scorer, llm } = scorerWith(async () => ({ score: 0.5, cached: false }), {
      [AnalysisKind.SENTIMENT]: { label: 'negative', confidence: 0.9 },
      [AnalysisKind.TOPICS]: { topics: ['billing'] },
    });
    const task: TaskSpec = {
      ...spec(),
      dimensions: [
        { id: 'tone', name: 'Tone', kind: AnalysisKind.SENTIMENT, threshold: 0.8 },
        { id: 'about', name: 'About', kind: AnalysisKind.TOPICS, topK: 2 },
      ],
    };

    const outcome = await scorer.score(RECORD, task, live(), new UsageMeters());

    expect(outcome).toEqual({
      sourceId: 'src1',
      recordId: 'rec1',
      scores: { tone: 0.9 },
      analyses: { tone: { label: 'negative', confidence: 0.9 }, about: { topics: ['billing'] } },
    });
    expect(llm.analyseRecord.mock.calls.map(([input]) => [input.kind, input.params])).toEqual([
      [AnalysisKind.SENTIMENT, undefined],
      [AnalysisKind.TOPICS, { topK: 2 }],
    ]);
  });

  it('uses the default temperature when the task does not set one', async () => {
    const { scorer, llm } = scorerWith(async () => ({ score: 1, cached: true }));

    await scorer.score(RECORD, spec(), live(), new UsageMeters());

    for (const [input] of llm.analyseRecord.mock.calls) expect(input.temperature).toBe(DEFAULT_TEMPERATURE);
  });

  it('keeps a temperature of 0 rather than replacing it with the default', async () => {
    const { scorer, llm } = scorerWith(async () => ({ score: 1, cached: false }));

    await scorer.score(RECORD, spec(0), live(), new UsageMeters());

    expect(llm.analyseRecord.mock.calls[0][0].temperature).toBe(0);
  });

  it('turns the failure of one dimension into an error outcome that names the dimension', async () => {
    const { scorer } = scorerWith(async (input) => {
      if (input.dimension.id === 'relevance')
        throw new ProviderError('model overloaded', { status: 503, retryable: true });
      return { score: 0.9, cached: false };
    });

    const outcome = await scorer.score(RECORD, spec(), live(), new UsageMeters());

    expect(outcome).not.toHaveProperty('scores');
    expect(outcome).toMatchObject({ sourceId: 'src1', recordId: 'rec1' });
    const error = (outcome as { error: string }).error;
    expect(error).toMatch(/^relevance: /);
    expect(error).toContain('model overloaded');
    expect(error).not.toContain('quality');
  });

  it('names every dimension that failed', async () => {
    const { scorer } = scorerWith(async (input) => {
      throw new ProviderError(`bad answer for ${input.dimension.id}`, { retryable: false });
    });

    const outcome = await scorer.score(RECORD, spec(), live(), new UsageMeters());

    expect((outcome as { error: string }).error).toBe(
      'quality: ProviderError: bad answer for quality; relevance: ProviderError: bad answer for relevance',
    );
  });

  it("propagates the service's own failures (cache or limiter unreachable) so the job is retried", async () => {
    const { scorer } = scorerWith(async (input) => {
      if (input.dimension.id === 'quality') throw new ProviderError('rejected', { retryable: false });
      throw new Error('Connection is closed.');
    });

    await expect(scorer.score(RECORD, spec(), live(), new UsageMeters())).rejects.toThrow('Connection is closed.');
  });

  it("propagates the provider's refusal of the service itself (a bad key), to fail the task", async () => {
    const refusal = new ProviderError('provider answered 401: Incorrect API key provided', {
      status: 401,
      retryable: false,
      fatal: true,
    });
    const { scorer } = scorerWith(async () => {
      throw refusal;
    });

    await expect(scorer.score(RECORD, spec(), live(), new UsageMeters())).rejects.toBe(refusal);
  });

  it("meters each dimension's calls under its id, and sends max_tokens when the task sets it", async () => {
    const meters = new UsageMeters();
    const llm = {
      analyseRecord: jest.fn(async (input: AnalyseRecordInput, _signal: AbortSignal, meter: UsageMeter) => {
        meter.call({ promptTokens: input.dimension.id.length, completionTokens: 1 });
        return { output: { score: 0.5 } as never, cached: false };
      }),
    };
    const task = { ...spec(), llm: { model: 'model-x', maxTokens: 64 } };

    await new RecordScorer(llm).score(RECORD, task, live(), meters);

    expect(meters.usage).toEqual({
      quality: { promptTokens: 7, completionTokens: 1, calls: 1, cacheHits: 0 },
      relevance: { promptTokens: 9, completionTokens: 1, calls: 1, cacheHits: 0 },
    });
    expect(llm.analyseRecord.mock.calls[0][0]).toMatchObject({ maxTokens: 64 });
  });

  it("propagates the task's abort instead of returning an error outcome", async () => {
    const controller = new AbortController();
    const reason = new CancelledError('task t was cancelled');
    const { scorer } = scorerWith(async (_input, signal) => {
      controller.abort(reason);
      throw signal.reason;
    });

    await expect(scorer.score(RECORD, spec(), controller.signal, new UsageMeters())).rejects.toBe(reason);
  });

  it('passes the signal to every LLM call', async () => {
    const controller = new AbortController();
    const { scorer, llm } = scorerWith(async () => ({ score: 0.5, cached: false }));

    await scorer.score(RECORD, spec(), controller.signal, new UsageMeters());

    expect(llm.analyseRecord.mock.calls.map(([, signal]) => signal)).toEqual([controller.signal, controller.signal]);
  });

  it('runs the chain’s LLM enrichments first, writes them into the fields the dimensions then see', async () => {
    const { scorer, llm } = scorerWith(async () => ({ score: 0.7, cached: false }), {
      [AnalysisKind.TOPICS]: { topics: ['billing'] },
    });
    const task: TaskSpec = {
      ...spec(),
      dimensions: [spec().dimensions[0]],
      processing: {
        steps: [
          {
            type: 'enrich',
            llm: { kind: AnalysisKind.TOPICS, into: 'about', instruction: 'What it is about', top_k: 1 },
          },
        ],
      },
    };

    const outcome = await scorer.score(RECORD, task, live(), new UsageMeters());

    expect(outcome).toEqual({
      sourceId: 'src1',
      recordId: 'rec1',
      scores: { quality: 0.7 },
      analyses: { quality: { score: 0.7 } },
      fields: { lang: 'en', about: { topics: ['billing'] } },
    });
    const [enrichment, dimension] = llm.analyseRecord.mock.calls.map(([input]) => input);
    expect(enrichment).toMatchObject({
      kind: AnalysisKind.TOPICS,
      params: { topK: 1 },
      dimension: { name: 'What it is about', description: 'What it is about' },
      record: { fields: { lang: 'en' } },
    });
    expect(dimension.record.fields).toEqual({ lang: 'en', about: { topics: ['billing'] } });
    expect(RECORD.fields).toEqual({ lang: 'en' });
  });

  it('fails the record when an enrichment cannot be had, naming it, and asks no dimension', async () => {
    const { scorer, llm } = scorerWith(async () => ({ score: 0.7, cached: false }));
    llm.analyseRecord.mockRejectedValueOnce(new ProviderError('bad answer', { retryable: false }));
    const task: TaskSpec = {
      ...spec(),
      processing: { steps: [{ type: 'enrich', llm: { kind: AnalysisKind.SENTIMENT, into: 'mood' } }] },
    };

    const outcome = await scorer.score(RECORD, task, live(), new UsageMeters());

    expect(outcome).toEqual({ sourceId: 'src1', recordId: 'rec1', error: 'enrich mood: ProviderError: bad answer' });
    expect(llm.analyseRecord).toHaveBeenCalledTimes(1);
  });
});
