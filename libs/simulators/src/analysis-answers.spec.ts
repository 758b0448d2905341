import type { ChatRequest } from '@app/contracts';
import { AnalysisKind } from '@app/contracts';
import { PromptBuilder } from '@app/llm';
import { requestedAnalysis, simulatedAnalysis } from './analysis-answers';

function request(record: string, kind: AnalysisKind, maxTopics?: number): ChatRequest {
  return {
    model: 'm',
    temperature: 0,
    response: kind,
    schema:
      maxTopics === undefined
        ? undefined
        : { type: 'object', properties: { topics: { type: 'array', maxItems: maxTopics } } },
    messages: [
      { role: 'system', content: 'instructions' },
      // The dimension's words ("terrible", "fractions") must not count: only the record line does.
      { role: 'user', content: `Dimension: terrible fractions\nRecord (JSON): ${JSON.stringify({ content: record })}` },
    ],
  };
}

const analyse = (kind: Exclude<AnalysisKind, AnalysisKind.SCORE>, record: string, maxTopics?: number) =>
  simulatedAnalysis(7, kind, request(record, kind, maxTopics));

describe(simulatedAnalysis.name, () => {
  it('labels sentiment by cue words, with a seeded confidence from 0.5 to 1', () => {
    const positive = analyse(AnalysisKind.SENTIMENT, 'Great course, thanks!') as { label: string; confidence: number };
    expect(positive.label).toBe('positive');
    expect(positive.confidence).toBeGreaterThanOrEqual(0.5);
    expect(positive.confidence).toBeLessThanOrEqual(1);
    expect(analyse(AnalysisKind.SENTIMENT, 'Great course, thanks!')).toEqual(positive);
    expect(analyse(AnalysisKind.SENTIMENT, 'The video was slow and confusing')).toMatchObject({ label: 'negative' });
    expect(analyse(AnalysisKind.SENTIMENT, 'Good start but a bad ending')).toMatchObject({ label: 'neutral' });
    expect(analyse(AnalysisKind.SENTIMENT, 'The lesson is at noon')).toMatchObject({ label: 'neutral' });
  });

  it('names the most frequent words as topics, at most k', () => {
    expect(analyse(AnalysisKind.TOPICS, 'Billing issue: billing failed, refund the billing and the refund', 2)).toEqual(
      {
        topics: ['billing', 'refund'],
      },
    );
    expect(
      (analyse(AnalysisKind.TOPICS, 'alpha beta gamma delta epsilon') as { topics: string[] }).topics,
    ).toHaveLength(3);
    expect(analyse(AnalysisKind.TOPICS, '数据 质量')).toEqual({ topics: ['general'] });
  });

  it('classifies errors by cue words and finds the knowledge points named', () => {
    expect(analyse(AnalysisKind.ERROR_ANALYSIS, 'I forgot to carry in the fractions and decimals sum')).toMatchObject({
      error_type: 'careless',
      knowledge_points: ['fractions', 'decimals'],
    });
    expect(analyse(AnalysisKind.ERROR_ANALYSIS, 'Miscalculated the derivatives')).toMatchObject({
      error_type: 'calculation',
      knowledge_points: ['derivatives'],
    });
    expect(analyse(AnalysisKind.ERROR_ANALYSIS, 'The answer is correct')).toMatchObject({
      error_type: 'none',
      knowledge_points: ['general'],
    });
    expect(analyse(AnalysisKind.ERROR_ANALYSIS, 'x equals y in equations')).toMatchObject({
      error_type: 'conceptual',
      knowledge_points: ['equations'],
    });
  });

  it('extracts the known knowledge points with their prerequisites', () => {
    expect(analyse(AnalysisKind.KNOWLEDGE_POINTS, 'Integrals build on derivatives')).toEqual({
      points: [
        { name: 'integrals', prerequisites: ['derivatives'] },
        { name: 'derivatives', prerequisites: ['functions', 'limits'] },
      ],
    });
    expect(analyse(AnalysisKind.KNOWLEDGE_POINTS, 'Nothing known here')).toEqual({
      points: [{ name: 'general', prerequisites: [] }],
    });
  });

  it('reads the kind a request asks for from the schema in its system prompt, as over HTTP', () => {
    const builder = new PromptBuilder();
    const ask = (kind: AnalysisKind, topK?: number) =>
      builder.analyseRecord({
        model: 'm',
        temperature: 0,
        dimension: { id: 'd', name: 'D' },
        kind,
        ...(topK === undefined ? {} : { params: { topK } }),
        record: { id: 'r', content: 'text', fields: {} },
      });
    for (const kind of [AnalysisKind.SENTIMENT, AnalysisKind.ERROR_ANALYSIS, AnalysisKind.KNOWLEDGE_POINTS]) {
      const request = ask(kind);
      expect(requestedAnalysis(request.messages)).toEqual({ kind, schema: request.schema });
    }
    expect(requestedAnalysis(ask(AnalysisKind.TOPICS, 5).messages)?.schema.properties?.topics.maxItems).toBe(5);
    expect(requestedAnalysis(ask(AnalysisKind.SCORE).messages)).toBeUndefined();
    expect(requestedAnalysis([{ role: 'user', content: 'hello' }])).toBeUndefined();
  });
});
