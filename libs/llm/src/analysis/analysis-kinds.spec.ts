import type { AnalysisOutputs } from '@app/contracts';
import { AnalysisKind, ERROR_TYPES, ProviderError } from '@app/contracts';
import { PromptBuilder } from '../prompt-builder';
import { ANALYSIS_KINDS, parseAnalysis } from './analysis-kinds';

function rejection(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

function summarize<K extends AnalysisKind>(kind: K, outputs: AnalysisOutputs[K][]) {
  const summarizer = ANALYSIS_KINDS[kind].summarizer();
  outputs.forEach((output) => summarizer.add(output));
  return summarizer.result();
}

describe('analysis kinds', () => {
  describe(AnalysisKind.SCORE, () => {
    it('parses a score and uses it as the number the threshold applies to', () => {
      expect(parseAnalysis(AnalysisKind.SCORE, '{"score": 0.42, "reason": "fine"}')).toEqual({
        score: 0.42,
        reason: 'fine',
      });
      expect(parseAnalysis(AnalysisKind.SCORE, ' {"score": 1} ')).toEqual({ score: 1 });
      expect(ANALYSIS_KINDS.score.value({ score: 0.3 })).toBe(0.3);
      expect(summarize(AnalysisKind.SCORE, [{ score: 1 }])).toBeNull();
    });

    it.each([
      ['not JSON', 'the score is 0.4'],
      ['a bare number', '0.4'],
      ['null', 'null'],
      ['an array', '[0.4]'],
      ['no score', '{"reason": "x"}'],
      ['a string score', '{"score": "0.4"}'],
      ['a score above 1', '{"score": 1.2}'],
      ['a negative score', '{"score": -0.1}'],
    ])('rejects %s with a non-retryable ProviderError', (_case, content) => {
      const error = rejection(() => parseAnalysis(AnalysisKind.SCORE, content));
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringMatching(/^unparseable reply/) });
    });
  });

  describe(AnalysisKind.SENTIMENT, () => {
    it('parses a label with a confidence, the number the threshold applies to', () => {
      const output = parseAnalysis(AnalysisKind.SENTIMENT, '{"label": "negative", "confidence": 0.8}');
      expect(output).toEqual({ label: 'negative', confidence: 0.8 });
      expect(ANALYSIS_KINDS.sentiment.value(output)).toBe(0.8);
    });

    it.each([
      ['an unknown label', '{"label": "angry", "confidence": 0.8}'],
      ['no confidence', '{"label": "positive"}'],
      ['a confidence above 1', '{"label": "positive", "confidence": 2}'],
      ['an extra member', '{"label": "positive", "confidence": 0.5, "score": 1}'],
    ])('rejects %s', (_case, content) => {
      expect(rejection(() => parseAnalysis(AnalysisKind.SENTIMENT, content))).toMatchObject({ retryable: false });
    });

    it('counts the labels and averages the confidence', () => {
      expect(
        summarize(AnalysisKind.SENTIMENT, [
          { label: 'positive', confidence: 0.9 },
          { label: 'positive', confidence: 0.6 },
          { label: 'negative', confidence: 0.6 },
        ]),
      ).toEqual({ kind: 'sentiment', distribution: { positive: 2, neutral: 0, negative: 1 }, mean_confidence: 0.7 });
      expect(summarize(AnalysisKind.SENTIMENT, [])).toEqual({
        kind: 'sentiment',
        distribution: { positive: 0, neutral: 0, negative: 0 },
        mean_confidence: null,
      });
    });
  });

  describe(AnalysisKind.TOPICS, () => {
    it('accepts up to k topics, normalised, and yields no number', () => {
      expect(parseAnalysis(AnalysisKind.TOPICS, '{"topics": [" Billing ", "billing", "Late  Delivery"]}')).toEqual({
        topics: ['billing', 'late delivery'],
      });
      expect(rejection(() => parseAnalysis(AnalysisKind.TOPICS, '{"topics": ["a", "b", "c", "d"]}'))).toBeInstanceOf(
        ProviderError,
      );
      expect(parseAnalysis(AnalysisKind.TOPICS, '{"topics": ["a", "b", "c", "d"]}', { topK: 4 }).topics).toHaveLength(
        4,
      );
      expect(rejection(() => parseAnalysis(AnalysisKind.TOPICS, '{"topics": []}'))).toBeInstanceOf(ProviderError);
      expect(ANALYSIS_KINDS.topics.value({ topics: ['a'] })).toBeNull();
    });

    it('counts the topics, most frequent first', () => {
      expect(summarize(AnalysisKind.TOPICS, [{ topics: ['b', 'a'] }, { topics: ['a'] }, { topics: ['c'] }])).toEqual({
        kind: 'topics',
        topics: [
          { name: 'a', count: 2 },
          { name: 'b', count: 1 },
          { name: 'c', count: 1 },
        ],
        distinct: 3,
      });
    });
  });

  describe(AnalysisKind.ERROR_ANALYSIS, () => {
    it('takes an error type from the fixed list with the knowledge points', () => {
      expect(
        parseAnalysis(
          AnalysisKind.ERROR_ANALYSIS,
          '{"error_type": "calculation", "knowledge_points": ["Fractions", "fractions"], "explanation": "x"}',
        ),
      ).toEqual({ error_type: 'calculation', knowledge_points: ['fractions'], explanation: 'x' });
      expect(
        rejection(() => parseAnalysis(AnalysisKind.ERROR_ANALYSIS, '{"error_type": "silly", "knowledge_points": []}')),
      ).toMatchObject({ message: expect.stringContaining('$.error_type must be one of conceptual') });
    });

    it('counts by type (every type listed) and by knowledge point', () => {
      const summary = summarize(AnalysisKind.ERROR_ANALYSIS, [
        { error_type: 'calculation', knowledge_points: ['fractions', 'decimals'] },
        { error_type: 'calculation', knowledge_points: ['fractions'] },
        { error_type: 'none', knowledge_points: [] },
      ]);
      expect(summary).toEqual({
        kind: 'error_analysis',
        by_type: { ...Object.fromEntries(ERROR_TYPES.map((type) => [type, 0])), calculation: 2, none: 1 },
        by_knowledge_point: [
          { name: 'fractions', count: 2 },
          { name: 'decimals', count: 1 },
        ],
        distinct_knowledge_points: 2,
      });
    });
  });

  describe(AnalysisKind.KNOWLEDGE_POINTS, () => {
    it('parses points with prerequisites, merging repeats and dropping self-dependencies', () => {
      expect(
        parseAnalysis(
          AnalysisKind.KNOWLEDGE_POINTS,
          JSON.stringify({
            points: [
              { name: 'Derivatives', prerequisites: ['functions', 'derivatives'] },
              { name: 'derivatives', prerequisites: ['Limits'] },
            ],
          }),
        ),
      ).toEqual({ points: [{ name: 'derivatives', prerequisites: ['functions', 'limits'] }] });
      expect(
        rejection(() => parseAnalysis(AnalysisKind.KNOWLEDGE_POINTS, '{"points": [{"name": "x"}]}')),
      ).toMatchObject({ message: expect.stringContaining('$.points[0].prerequisites is required') });
    });

    it('builds the graph: nodes counted per record, edges from prerequisite to point', () => {
      expect(
        summarize(AnalysisKind.KNOWLEDGE_POINTS, [
          { points: [{ name: 'derivatives', prerequisites: ['functions', 'limits'] }] },
          {
            points: [
              { name: 'limits', prerequisites: ['functions'] },
              { name: 'functions', prerequisites: [] },
            ],
          },
        ]),
      ).toEqual({
        kind: 'knowledge_points',
        nodes: [
          { name: 'functions', count: 2 },
          { name: 'limits', count: 2 },
          { name: 'derivatives', count: 1 },
        ],
        edges: [
          { from: 'functions', to: 'derivatives', count: 1 },
          { from: 'functions', to: 'limits', count: 1 },
          { from: 'limits', to: 'derivatives', count: 1 },
        ],
        distinct_nodes: 3,
        distinct_edges: 3,
      });
    });
  });

  it('asks for each kind with its instructions and schema, the record in the same place', () => {
    const builder = new PromptBuilder();
    const record = { id: 'r1', content: 'I love it', fields: { n: 1 } };
    const dimension = { id: 'd', name: 'Tone', threshold: 0.5 };
    for (const kind of Object.values(AnalysisKind)) {
      const request = builder.analyseRecord({
        model: 'm',
        temperature: 0,
        dimension,
        kind,
        params: { topK: 5 },
        record,
      });
      expect(request.response).toBe(kind);
      expect(request.schema).toEqual(ANALYSIS_KINDS[kind].schema({ topK: 5 }));
      expect(request.messages[1].content).toContain('Record (JSON): {"content":"I love it","fields":{"n":1}}');
      if (kind !== AnalysisKind.SCORE) expect(request.messages[0].content).toContain(JSON.stringify(request.schema));
    }
    expect(builder.scoreRecord({ model: 'm', temperature: 0, dimension, record })).toEqual(
      builder.analyseRecord({ model: 'm', temperature: 0, dimension, kind: AnalysisKind.SCORE, record }),
    );
  });
});
