import { canonicalJson } from '@app/common';
import type { ChatRequest, DimensionSpec } from '@app/contracts';
import { AnalysisKind, RECORD_LINE_PREFIX } from '@app/contracts';
import type { KindParams } from './analysis/analysis-kinds';
import { ANALYSIS_KINDS } from './analysis/analysis-kinds';

export interface AnalyseRecordInput {
  model: string;
  temperature: number;
  /** Sent as max_tokens when set. */
  maxTokens?: number;
  dimension: DimensionSpec;
  kind: AnalysisKind;
  params?: KindParams;
  record: { id: string; content: string; fields: Record<string, unknown> };
}

/** The default kind's input: a score needs no parameters. */
export type ScoreRecordInput = Omit<AnalyseRecordInput, 'kind' | 'params'>;

export interface SummarizeDimensionInput {
  model: string;
  temperature: number;
  maxTokens?: number;
  dimension: DimensionSpec;
  statistics: Record<string, number>;
  samples: { record_id: string; score: number }[];
}

/** Keeps the summary prompt small whatever the number of records. */
export const MAX_SUMMARY_SAMPLES = 10;

const SUMMARY_INSTRUCTIONS = [
  'You summarise how a set of data records scored on one evaluation dimension.',
  'Write 3 to 5 plain-text sentences for a reader who has not seen the records:',
  'the overall level, the spread, how many records pass the threshold and what that suggests.',
].join(' ');

/** Keeps a re-ask small whatever the model rambled. */
const REPLY_EXCERPT = 2000;

/** Builds the chat requests LlmClient sends; pure, so equal inputs give equal requests (and cache keys). */
export class PromptBuilder {
  scoreRecord(input: ScoreRecordInput): ChatRequest {
    return this.analyseRecord({ ...input, kind: AnalysisKind.SCORE });
  }

  /** One record, one dimension: the kind's instructions and answer schema, the dimension, the record. */
  analyseRecord(input: AnalyseRecordInput): ChatRequest {
    const { dimension, record, kind } = input;
    const definition = ANALYSIS_KINDS[kind];
    const params = input.params ?? {};
    return {
      model: input.model,
      temperature: input.temperature,
      ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
      response: kind,
      schema: definition.schema(params),
      messages: [
        { role: 'system', content: definition.instructions(params) },
        {
          role: 'user',
          content: [
            describeDimension(dimension),
            `${RECORD_LINE_PREFIX}${canonicalJson({ content: record.content, fields: record.fields })}`,
          ].join('\n'),
        },
      ],
    };
  }

  /** A record's request asked again, after a reply that did not fit its kind: the reply, and what was wrong. */
  reask(request: ChatRequest, reply: string, problem: string): ChatRequest {
    return {
      ...request,
      messages: [
        ...request.messages,
        { role: 'assistant', content: reply.slice(0, REPLY_EXCERPT) },
        {
          role: 'user',
          content: `That reply does not fit: ${problem.slice(0, REPLY_EXCERPT)}. Answer again with only the JSON object the schema asks for.`,
        },
      ],
    };
  }

  summarizeDimension(input: SummarizeDimensionInput): ChatRequest {
    const statistics = Object.entries(input.statistics).map(([name, value]) => `- ${name}: ${value}`);
    const samples = input.samples
      .slice(0, MAX_SUMMARY_SAMPLES)
      .map((sample) => `- ${sample.record_id}: ${sample.score}`);
    return {
      model: input.model,
      temperature: input.temperature,
      ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
      response: 'text',
      messages: [
        { role: 'system', content: SUMMARY_INSTRUCTIONS },
        {
          role: 'user',
          content: [
            describeDimension(input.dimension),
            ...(input.dimension.threshold === undefined ? [] : [`Pass threshold: ${input.dimension.threshold}`]),
            'Statistics:',
            ...statistics,
            `Sample scores (up to ${MAX_SUMMARY_SAMPLES}):`,
            ...(samples.length > 0 ? samples : ['- none']),
          ].join('\n'),
        },
      ],
    };
  }
}

function describeDimension(dimension: Pick<DimensionSpec, 'name' | 'description'>): string {
  return [`Dimension: ${dimension.name}`, `Description: ${dimension.description ?? '(none given; use the name)'}`].join(
    '\n',
  );
}
