import type {
  AnalysisOutputs,
  AnalysisSummary,
  CountedName,
  ErrorType,
  JsonSchema,
  SentimentLabel,
} from '@app/contracts';
import {
  AnalysisKind,
  DEFAULT_TOP_K,
  ERROR_TYPES,
  MAX_SUMMARY_ENTRIES,
  ProviderError,
  SENTIMENT_LABELS,
} from '@app/contracts';
import { checkJsonSchema } from './json-schema.check';

export interface KindParams {
  /** topics: how many topics a record may get. */
  topK?: number;
}

/** Folds a kind's answers, one record at a time, into the dimension's summary. */
export interface Summarizer<K extends AnalysisKind> {
  add(output: AnalysisOutputs[K]): void;
  result(): AnalysisSummary | null;
}

/**
 * Everything provider-independent about one kind of analysis: what the model is told, the schema its
 * answer must match (sent to providers that enforce one, and checked here on every answer), the number
 * a threshold applies to, and how the answers of all records add up.
 */
export interface AnalysisKindDefinition<K extends AnalysisKind> {
  kind: K;
  instructions(params: KindParams): string;
  schema(params: KindParams): JsonSchema;
  /** Brings a valid answer to its canonical form (trimmed, lower-cased names, no repeats). */
  normalize(output: AnalysisOutputs[K]): AnalysisOutputs[K];
  /** Whether answers carry a number a threshold applies to (then statistics and passing records exist). */
  yieldsNumber: boolean;
  /** The number the dimension's threshold compares with; null for kinds that yield none. */
  value(output: AnalysisOutputs[K]): number | null;
  summarizer(): Summarizer<K>;
}

const ANSWER_RULE = 'Answer with a single JSON object and nothing else, matching this JSON schema:';
const NAME: JsonSchema = { type: 'string', minLength: 1, maxLength: 100 };
const MAX_POINTS = 20;

const score: AnalysisKindDefinition<AnalysisKind.SCORE> = {
  kind: AnalysisKind.SCORE,
  // The score prompt predates the kinds and keeps its wording (and so its cache keys).
  instructions: () =>
    [
      'You evaluate one data record against one evaluation dimension.',
      'Judge only the dimension described by the user, from the record content and fields.',
      'Answer with a single JSON object and nothing else: {"score": <number from 0 to 1>, "reason": "<one short sentence>"}.',
      'A score of 1 means the record fully satisfies the dimension, 0 means not at all.',
    ].join(' '),
  schema: () => ({
    type: 'object',
    properties: { score: { type: 'number', minimum: 0, maximum: 1 }, reason: { type: 'string' } },
    required: ['score'],
  }),
  normalize: (output) => output,
  yieldsNumber: true,
  value: (output) => output.score,
  summarizer: () => ({ add: () => undefined, result: () => null }),
};

const sentiment: AnalysisKindDefinition<AnalysisKind.SENTIMENT> = {
  kind: AnalysisKind.SENTIMENT,
  instructions: (params) =>
    [
      'You classify the sentiment of one data record (an interaction, a review, a message).',
      'Judge the attitude the text expresses, in the light of the dimension described by the user.',
      'label: positive, neutral or negative; confidence: how sure you are, from 0 to 1.',
      ANSWER_RULE,
      JSON.stringify(sentiment.schema(params)),
    ].join(' '),
  schema: () => ({
    type: 'object',
    properties: {
      label: { type: 'string', enum: SENTIMENT_LABELS },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
    },
    required: ['label', 'confidence'],
    additionalProperties: false,
  }),
  normalize: (output) => output,
  yieldsNumber: true,
  value: (output) => output.confidence,
  summarizer: () => {
    const distribution = Object.fromEntries(SENTIMENT_LABELS.map((label) => [label, 0])) as Record<
      SentimentLabel,
      number
    >;
    let confidence = 0;
    let count = 0;
    return {
      add: (output) => {
        distribution[output.label] += 1;
        confidence += output.confidence;
        count += 1;
      },
      result: () => ({
        kind: AnalysisKind.SENTIMENT,
        distribution: { ...distribution },
        mean_confidence: count === 0 ? null : round(confidence / count),
      }),
    };
  },
};

const topics: AnalysisKindDefinition<AnalysisKind.TOPICS> = {
  kind: AnalysisKind.TOPICS,
  instructions: (params) =>
    [
      `You name the topics of one data record: at most ${topK(params)}, most important first,`,
      'each a short lower-case noun phrase, in the light of the dimension described by the user.',
      ANSWER_RULE,
      JSON.stringify(topics.schema(params)),
    ].join(' '),
  schema: (params) => ({
    type: 'object',
    properties: { topics: { type: 'array', items: NAME, minItems: 1, maxItems: topK(params) } },
    required: ['topics'],
    additionalProperties: false,
  }),
  normalize: (output) => ({ topics: distinctNames(output.topics) }),
  yieldsNumber: false,
  value: () => null,
  summarizer: () => {
    const counts = new Counter();
    return {
      add: (output) => output.topics.forEach((topic) => counts.add(topic)),
      result: () => ({ kind: AnalysisKind.TOPICS, topics: counts.top(), distinct: counts.size }),
    };
  },
};

const errorAnalysis: AnalysisKindDefinition<AnalysisKind.ERROR_ANALYSIS> = {
  kind: AnalysisKind.ERROR_ANALYSIS,
  instructions: (params) =>
    [
      'You analyse one answer a learner gave (the record) for the mistake it shows.',
      `error_type: one of ${ERROR_TYPES.join(', ')} ("none" when the answer has no mistake);`,
      'knowledge_points: the knowledge points the mistake involves, as short lower-case names;',
      'explanation: one short sentence.',
      ANSWER_RULE,
      JSON.stringify(errorAnalysis.schema(params)),
    ].join(' '),
  schema: () => ({
    type: 'object',
    properties: {
      error_type: { type: 'string', enum: ERROR_TYPES },
      knowledge_points: { type: 'array', items: NAME, maxItems: MAX_POINTS },
      explanation: { type: 'string', maxLength: 1000 },
    },
    required: ['error_type', 'knowledge_points'],
    additionalProperties: false,
  }),
  normalize: (output) => ({ ...output, knowledge_points: distinctNames(output.knowledge_points) }),
  yieldsNumber: false,
  value: () => null,
  summarizer: () => {
    const byType = Object.fromEntries(ERROR_TYPES.map((type) => [type, 0])) as Record<ErrorType, number>;
    const points = new Counter();
    return {
      add: (output) => {
        byType[output.error_type] += 1;
        output.knowledge_points.forEach((point) => points.add(point));
      },
      result: () => ({
        kind: AnalysisKind.ERROR_ANALYSIS,
        by_type: { ...byType },
        by_knowledge_point: points.top(),
        distinct_knowledge_points: points.size,
      }),
    };
  },
};

const knowledgePoints: AnalysisKindDefinition<AnalysisKind.KNOWLEDGE_POINTS> = {
  kind: AnalysisKind.KNOWLEDGE_POINTS,
  instructions: (params) =>
    [
      'You extract the knowledge points one data record (course content) teaches, as short lower-case names,',
      'each with the knowledge points it depends on (its prerequisites; an empty list when none).',
      ANSWER_RULE,
      JSON.stringify(knowledgePoints.schema(params)),
    ].join(' '),
  schema: () => ({
    type: 'object',
    properties: {
      points: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_POINTS,
        items: {
          type: 'object',
          properties: { name: NAME, prerequisites: { type: 'array', items: NAME, maxItems: MAX_POINTS } },
          required: ['name', 'prerequisites'],
          additionalProperties: false,
        },
      },
    },
    required: ['points'],
    additionalProperties: false,
  }),
  normalize: (output) => {
    const merged = new Map<string, Set<string>>();
    for (const point of output.points) {
      const name = normalName(point.name);
      const prerequisites = merged.get(name) ?? new Set<string>();
      for (const prerequisite of point.prerequisites.map(normalName))
        if (prerequisite !== name) prerequisites.add(prerequisite);
      merged.set(name, prerequisites);
    }
    return { points: [...merged].map(([name, prerequisites]) => ({ name, prerequisites: [...prerequisites] })) };
  },
  yieldsNumber: false,
  value: () => null,
  summarizer: () => {
    const nodes = new Counter();
    const edges = new Counter();
    return {
      add: (output) => {
        const named = new Set<string>();
        for (const point of output.points) {
          named.add(point.name);
          for (const prerequisite of point.prerequisites) {
            named.add(prerequisite);
            edges.add(JSON.stringify([prerequisite, point.name]));
          }
        }
        named.forEach((name) => nodes.add(name));
      },
      result: () => ({
        kind: AnalysisKind.KNOWLEDGE_POINTS,
        nodes: nodes.top(),
        edges: edges.top().map(({ name, count }) => {
          const [from, to] = JSON.parse(name) as [string, string];
          return { from, to, count };
        }),
        distinct_nodes: nodes.size,
        distinct_edges: edges.size,
      }),
    };
  },
};

export const ANALYSIS_KINDS: { readonly [K in AnalysisKind]: AnalysisKindDefinition<K> } = {
  [AnalysisKind.SCORE]: score,
  [AnalysisKind.SENTIMENT]: sentiment,
  [AnalysisKind.TOPICS]: topics,
  [AnalysisKind.ERROR_ANALYSIS]: errorAnalysis,
  [AnalysisKind.KNOWLEDGE_POINTS]: knowledgePoints,
};

/** The kind's definition, for callers that hold a kind only known at run time. */
export function analysisKind(kind: AnalysisKind): AnalysisKindDefinition<AnalysisKind> {
  return ANALYSIS_KINDS[kind];
}

const EXCERPT_LENGTH = 200;

/** How the reason starts when a record fails because the model's reply does not fit its kind, even asked again. */
export const UNPARSEABLE_REPLY = 'unparseable reply';

/**
 * An answer of the kind: JSON matching the kind's schema (possibly inside a Markdown code fence),
 * normalised. Anything else is a bad answer, a verdict rather than a transient failure (not
 * retryable): LlmClient asks once more, saying what was wrong, and then the record fails.
 */
export function parseAnalysis<K extends AnalysisKind>(
  kind: K,
  content: string,
  params: KindParams = {},
): AnalysisOutputs[K] {
  const definition = ANALYSIS_KINDS[kind] as AnalysisKindDefinition<K>;
  let answer: unknown;
  try {
    answer = JSON.parse(withoutCodeFence(content));
  } catch (cause) {
    throw unparseable(content, 'not JSON', cause);
  }
  const problems = checkJsonSchema(definition.schema(params), answer);
  if (problems.length > 0) throw unparseable(content, problems.slice(0, 3).join('; '));
  return definition.normalize(answer as AnalysisOutputs[K]);
}

/** A JSON answer as models often wrap it, in a Markdown code fence (```json … ```), unwrapped. */
function withoutCodeFence(content: string): string {
  const fenced = /^\s*```[a-zA-Z]*\s*\n?([\s\S]*?)\n?\s*```\s*$/.exec(content);
  return fenced ? fenced[1] : content;
}

function unparseable(content: string, why: string, cause?: unknown): ProviderError {
  return new ProviderError(`${UNPARSEABLE_REPLY} (${why}): ${content.slice(0, EXCERPT_LENGTH)}`, {
    retryable: false,
    cause,
  });
}

function topK(params: KindParams): number {
  return params.topK ?? DEFAULT_TOP_K;
}

function normalName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

function distinctNames(names: readonly string[]): string[] {
  return [...new Set(names.map(normalName))];
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Counts names; `top` gives the most frequent first (ties by name), cut at MAX_SUMMARY_ENTRIES. */
class Counter {
  private readonly counts = new Map<string, number>();

  get size(): number {
    return this.counts.size;
  }

  add(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }

  top(): CountedName[] {
    return [...this.counts]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, MAX_SUMMARY_ENTRIES)
      .map(([name, count]) => ({ name, count }));
  }
}
