/**
 * What an LLM dimension asks of each record (`kind` of a dimension) and the shape of each kind's
 * answer. libs/llm holds each kind's prompt, schema, parser and aggregation; the simulators answer
 * every kind deterministically.
 */
export enum AnalysisKind {
  SCORE = 'score',
  SENTIMENT = 'sentiment',
  TOPICS = 'topics',
  ERROR_ANALYSIS = 'error_analysis',
  KNOWLEDGE_POINTS = 'knowledge_points',
}

export const SENTIMENT_LABELS = ['positive', 'neutral', 'negative'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** The fixed list an error analysis classifies into. */
export const ERROR_TYPES = [
  'conceptual',
  'procedural',
  'calculation',
  'careless',
  'misreading',
  'incomplete',
  'none',
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

export const DEFAULT_TOP_K = 3;
export const MAX_TOP_K = 10;

export interface ScoreAnalysis {
  score: number;
  reason?: string;
}

export interface SentimentAnalysis {
  label: SentimentLabel;
  confidence: number;
}

export interface TopicsAnalysis {
  topics: string[];
}

export interface ErrorAnalysis {
  error_type: ErrorType;
  knowledge_points: string[];
  explanation?: string;
}

export interface KnowledgePointsAnalysis {
  points: { name: string; prerequisites: string[] }[];
}

export interface AnalysisOutputs {
  [AnalysisKind.SCORE]: ScoreAnalysis;
  [AnalysisKind.SENTIMENT]: SentimentAnalysis;
  [AnalysisKind.TOPICS]: TopicsAnalysis;
  [AnalysisKind.ERROR_ANALYSIS]: ErrorAnalysis;
  [AnalysisKind.KNOWLEDGE_POINTS]: KnowledgePointsAnalysis;
}

export type AnalysisOutput = AnalysisOutputs[AnalysisKind];

/** The subset of JSON Schema the kinds' answer schemas use (and LLM providers accept). */
export interface JsonSchema {
  type: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: false;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

/** Longest list a summary keeps (the most frequent entries); `distinct` says how many there were. */
export const MAX_SUMMARY_ENTRIES = 100;

export interface CountedName {
  name: string;
  count: number;
}

/** A dimension's aggregation of its kind's answers over every analysed record (not for `score`). */
export type AnalysisSummary =
  | {
      kind: AnalysisKind.SENTIMENT;
      distribution: Record<SentimentLabel, number>;
      mean_confidence: number | null;
    }
  | { kind: AnalysisKind.TOPICS; topics: CountedName[]; distinct: number }
  | {
      kind: AnalysisKind.ERROR_ANALYSIS;
      by_type: Record<ErrorType, number>;
      by_knowledge_point: CountedName[];
      distinct_knowledge_points: number;
    }
  | {
      kind: AnalysisKind.KNOWLEDGE_POINTS;
      /** count: records naming the point (as a point or as a prerequisite). */
      nodes: CountedName[];
      /** from a prerequisite to the point that needs it; count: records stating it. */
      edges: { from: string; to: string; count: number }[];
      distinct_nodes: number;
      distinct_edges: number;
    };
