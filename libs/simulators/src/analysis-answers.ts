import { unitInterval } from '@app/common';
import type {
  ChatRequest,
  ErrorAnalysis,
  ErrorType,
  JsonSchema,
  KnowledgePointsAnalysis,
  SentimentAnalysis,
  TopicsAnalysis,
} from '@app/contracts';
import { AnalysisKind, DEFAULT_TOP_K, RECORD_LINE_PREFIX } from '@app/contracts';

/**
 * The simulated model's analyses. Labels come from plain cue words in the record, so a test (or a
 * reader) can tell the answer from the input; only confidences are drawn from the seeded hash.
 */

const POSITIVE = [
  'good',
  'great',
  'excellent',
  'love',
  'happy',
  'thanks',
  'thank you',
  'helpful',
  'clear',
  '喜欢',
  '满意',
];
const NEGATIVE = ['bad', 'terrible', 'hate', 'angry', 'confusing', 'wrong', 'slow', 'poor', 'broken', '不满', '差'];

/** First matching cue wins; an answer without any cue is a conceptual error. */
const ERROR_CUES: [ErrorType, string[]][] = [
  ['none', ['correct', 'right answer']],
  ['careless', ['forgot', 'typo', 'careless', 'sign error']],
  ['calculation', ['calculat', 'arithmetic', 'computed']],
  ['misreading', ['misread', 'misunderstood the question']],
  ['procedural', ['wrong order', 'skipped a step', 'procedure']],
  ['incomplete', ['incomplete', 'unfinished', 'did not finish']],
];

/** The knowledge points the simulated model knows, each with its prerequisites. */
const KNOWLEDGE: Record<string, string[]> = {
  arithmetic: [],
  algebra: ['arithmetic'],
  fractions: ['arithmetic'],
  decimals: ['arithmetic'],
  percentages: ['fractions', 'decimals'],
  equations: ['algebra'],
  inequalities: ['equations'],
  functions: ['algebra'],
  limits: ['functions'],
  derivatives: ['functions', 'limits'],
  integrals: ['derivatives'],
  probability: ['fractions'],
  geometry: ['arithmetic'],
  grammar: [],
  vocabulary: [],
  loops: [],
  recursion: ['functions'],
};

const STOPWORDS = new Set([
  'this',
  'that',
  'with',
  'from',
  'have',
  'were',
  'will',
  'what',
  'when',
  'your',
  'they',
  'their',
  'there',
  'about',
  'which',
  'would',
  'could',
  'should',
  'been',
  'into',
  'than',
  'then',
  'them',
  'also',
  'very',
  'just',
  'only',
  'some',
  'more',
  'most',
  'such',
]);

/** What the kinds' instructions say just before the answer's JSON schema (see libs/llm analysis kinds). */
const SCHEMA_INTRO = 'matching this JSON schema:';

/**
 * The kind a chat request asks for, read the way a model would: from the JSON schema its system
 * prompt gives for the answer. For requests that arrive without ours (over HTTP, as an
 * OpenAI-compatible provider sends them); the schema comes along, e.g. for a topics request's k.
 */
export function requestedAnalysis(
  messages: readonly { role: string; content: string }[],
): { kind: Exclude<AnalysisKind, AnalysisKind.SCORE>; schema: JsonSchema } | undefined {
  const system = messages.find((message) => message.role === 'system')?.content ?? '';
  const at = system.indexOf(SCHEMA_INTRO);
  if (at < 0) return undefined;
  let schema: JsonSchema;
  try {
    schema = JSON.parse(system.slice(at + SCHEMA_INTRO.length).trim()) as JsonSchema;
  } catch {
    return undefined;
  }
  const required = new Set(schema.required ?? []);
  const kind = required.has('label')
    ? AnalysisKind.SENTIMENT
    : required.has('topics')
      ? AnalysisKind.TOPICS
      : required.has('error_type')
        ? AnalysisKind.ERROR_ANALYSIS
        : required.has('points')
          ? AnalysisKind.KNOWLEDGE_POINTS
          : undefined;
  return kind && { kind, schema };
}

/** The answer to a request for one of the kinds beyond scoring. */
export function simulatedAnalysis(
  seed: number,
  kind: Exclude<AnalysisKind, AnalysisKind.SCORE>,
  request: ChatRequest,
): object {
  const text = recordText(request);
  switch (kind) {
    case AnalysisKind.SENTIMENT:
      return sentiment(seed, request.model, text);
    case AnalysisKind.TOPICS:
      return topics(seed, text, request.schema?.properties?.topics?.maxItems ?? DEFAULT_TOP_K);
    case AnalysisKind.ERROR_ANALYSIS:
      return errorAnalysis(text);
    case AnalysisKind.KNOWLEDGE_POINTS:
      return knowledgePoints(text);
  }
}

/** The record's part of the prompt, lower-cased: the dimension's own words must not sway the answer. */
function recordText(request: ChatRequest): string {
  const user = [...request.messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const line = user.split('\n').find((candidate) => candidate.startsWith(RECORD_LINE_PREFIX));
  return (line ?? user).toLowerCase();
}

function cueCount(text: string, cues: readonly string[]): number {
  return cues.filter((cue) => text.includes(cue)).length;
}

function sentiment(seed: number, model: string, text: string): SentimentAnalysis {
  const balance = cueCount(text, POSITIVE) - cueCount(text, NEGATIVE);
  const label = balance > 0 ? 'positive' : balance < 0 ? 'negative' : 'neutral';
  const confidence = Math.round((0.5 + unitInterval(seed, 'sentiment', model, text) / 2) * 1000) / 1000;
  return { label, confidence };
}

/** The record's most frequent words (4+ letters, no stop words), ties broken by the seeded hash. */
function topics(seed: number, text: string, k: number): TopicsAnalysis {
  const counts = new Map<string, number>();
  for (const word of text.replace(RECORD_LINE_PREFIX.toLowerCase(), '').match(/[a-z]{4,}/g) ?? []) {
    if (!STOPWORDS.has(word) && word !== 'content' && word !== 'fields') counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const ranked = [...counts]
    .map(([word, count]) => ({ word, count, tie: unitInterval(seed, 'topic', word) }))
    .sort((a, b) => b.count - a.count || a.tie - b.tie)
    .slice(0, k)
    .map((entry) => entry.word);
  return { topics: ranked.length > 0 ? ranked : ['general'] };
}

function knownPoints(text: string): string[] {
  return Object.keys(KNOWLEDGE)
    .map((name) => ({ name, at: text.indexOf(name) }))
    .filter((entry) => entry.at >= 0)
    .sort((a, b) => a.at - b.at)
    .map((entry) => entry.name);
}

function errorAnalysis(text: string): ErrorAnalysis {
  const errorType = ERROR_CUES.find(([, cues]) => cueCount(text, cues) > 0)?.[0] ?? 'conceptual';
  const points = knownPoints(text);
  return {
    error_type: errorType,
    knowledge_points: points.length > 0 ? points : ['general'],
    explanation: `Simulated analysis: ${errorType === 'none' ? 'no mistake found' : `a ${errorType} error`}.`,
  };
}

function knowledgePoints(text: string): KnowledgePointsAnalysis {
  const points = knownPoints(text);
  if (points.length === 0) return { points: [{ name: 'general', prerequisites: [] }] };
  return { points: points.map((name) => ({ name, prerequisites: KNOWLEDGE[name] })) };
}
