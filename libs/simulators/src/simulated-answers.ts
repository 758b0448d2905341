import { unitInterval } from '@app/common';
import type { ChatRequest, ChatResponse } from '@app/contracts';
import { AnalysisKind } from '@app/contracts';
import { simulatedAnalysis } from './analysis-answers';

const QUOTE_LENGTH = 120;
const CHARS_PER_TOKEN = 4;

/**
 * What a simulated LLM answers, as a pure function of (seed, model, messages): the same request always
 * gets the same score or analysis, in process (LlmSimulator) and over HTTP (apps/llm-simulator) alike.
 */
export class SimulatedAnswers {
  constructor(private readonly seed: number) {}

  /** Whether the "content policy" refuses this request; the same request is always refused or never. */
  rejects(request: ChatRequest, rejectRate: number): boolean {
    // No draw can fall below a rate of 0: the request's hash is not needed.
    return rejectRate > 0 && unitInterval(this.seed, 'reject', request.model, ...contentsOf(request)) < rejectRate;
  }

  answer(request: ChatRequest): ChatResponse {
    const contents = contentsOf(request);
    const content = this.content(request, contents);
    return {
      content,
      usage: {
        promptTokens: Math.ceil(contents.join('').length / CHARS_PER_TOKEN),
        completionTokens: Math.ceil(content.length / CHARS_PER_TOKEN),
      },
    };
  }

  private content(request: ChatRequest, contents: string[]): string {
    if (request.response === 'text') return textAnswer(request);
    const kind = request.response as AnalysisKind;
    if (kind === AnalysisKind.SCORE) return this.scoreAnswer(request, contents);
    return JSON.stringify(simulatedAnalysis(this.seed, kind, request));
  }

  private scoreAnswer(request: ChatRequest, contents: string[]): string {
    const score = Math.round(unitInterval(this.seed, 'score', request.model, ...contents) * 1000) / 1000;
    const verdict =
      score >= 0.75
        ? 'strongly meets'
        : score >= 0.5
          ? 'mostly meets'
          : score >= 0.25
            ? 'partly meets'
            : 'does not meet';
    return JSON.stringify({ score, reason: `The record ${verdict} the criterion (simulated assessment).` });
  }
}

function contentsOf(request: ChatRequest): string[] {
  return request.messages.map((message) => message.content);
}

function textAnswer(request: ChatRequest): string {
  const lastUserMessage = [...request.messages].reverse().find((message) => message.role === 'user');
  const quote = (lastUserMessage?.content ?? '').slice(0, QUOTE_LENGTH).replace(/\s+/g, ' ').trim();
  return (
    `Simulated answer from ${request.model}. The request concerned: "${quote}". ` +
    'Scores are spread across the range; records above the threshold share the traits the criterion asks for, ' +
    'while the rest fall short on one or more of them.'
  );
}
