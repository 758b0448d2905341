import { canonicalJson } from '@app/common';
import type { ChatRequest, DimensionSpec } from '@app/contracts';

export interface ScoreRecordInput {
  model: string;
  temperature: number;
  dimension: DimensionSpec;
  record: { id: string; content: string; fields: Record<string, unknown> };
}

export interface SummarizeDimensionInput {
  model: string;
  temperature: number;
  dimension: DimensionSpec;
  statistics: Record<string, number>;
  samples: { record_id: string; score: number }[];
}

/** Keeps the summary prompt small whatever the number of records. */
export const MAX_SUMMARY_SAMPLES = 10;

const SCORE_INSTRUCTIONS = [
  'You evaluate one data record against one evaluation dimension.',
  'Judge only the dimension described by the user, from the record content and fields.',
  'Answer with a single JSON object and nothing else: {"score": <number from 0 to 1>, "reason": "<one short sentence>"}.',
  'A score of 1 means the record fully satisfies the dimension, 0 means not at all.',
].join(' ');

const SUMMARY_INSTRUCTIONS = [
  'You summarise how a set of data records scored on one evaluation dimension.',
  'Write 3 to 5 plain-text sentences for a reader who has not seen the records:',
  'the overall level, the spread, how many records pass the threshold and what that suggests.',
].join(' ');

/** Builds the chat requests LlmClient sends; pure, so equal inputs give equal requests (and cache keys). */
export class PromptBuilder {
  scoreRecord(input: ScoreRecordInput): ChatRequest {
    const { dimension, record } = input;
    return {
      model: input.model,
      temperature: input.temperature,
      response: 'score',
      messages: [
        { role: 'system', content: SCORE_INSTRUCTIONS },
        {
          role: 'user',
          content: [
            describeDimension(dimension),
            `Record (JSON): ${canonicalJson({ content: record.content, fields: record.fields })}`,
          ].join('\n'),
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
      response: 'text',
      messages: [
        { role: 'system', content: SUMMARY_INSTRUCTIONS },
        {
          role: 'user',
          content: [
            describeDimension(input.dimension),
            `Pass threshold: ${input.dimension.threshold}`,
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

function describeDimension(dimension: DimensionSpec): string {
  return [`Dimension: ${dimension.name}`, `Description: ${dimension.description ?? '(none given; use the name)'}`].join(
    '\n',
  );
}
