import { seededRandom, sleep, unitInterval } from '@app/common';
import type { ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { AnalysisKind, ProviderError } from '@app/contracts';
import { simulatedAnalysis } from './analysis-answers';
import type { RequestWindow } from './request-window';
import type { LatencyRange } from './simulation-noise.util';
import { assertLatencyRange, assertProbability, drawFailure, drawLatencyMs } from './simulation-noise.util';

export interface LlmSimulatorOptions {
  seed: number;
  latencyMs: LatencyRange;
  /** Probability of a transient 503 (noise, independent of the request). */
  failureRate: number;
  /** Share of requests refused by the "content policy"; the same request is always refused or never. */
  rejectRate: number;
  requestsPerMinute: number;
  window: RequestWindow;
  /** Source of the noise (latency, transient failures); defaults to a PRNG seeded from `seed`. */
  random?: () => number;
}

const QUOTE_LENGTH = 120;
const CHARS_PER_TOKEN = 4;

/**
 * Behaves like a rate-limited LLM API: answers are a pure function of (seed, model, messages), so the
 * same request always gets the same score or analysis, while latency and transient failures are random noise.
 */
export class LlmSimulator implements LlmProvider {
  private readonly random: () => number;

  constructor(private readonly options: LlmSimulatorOptions) {
    assertLatencyRange(options.latencyMs);
    assertProbability('failureRate', options.failureRate);
    assertProbability('rejectRate', options.rejectRate);
    if (!(options.requestsPerMinute > 0))
      throw new RangeError(`requestsPerMinute must be positive, got ${options.requestsPerMinute}`);
    this.random = options.random ?? seededRandom(options.seed);
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    signal.throwIfAborted();
    const { count, resetInMs } = await this.options.window.hit();
    if (count > this.options.requestsPerMinute) {
      throw new ProviderError('rate limit exceeded (simulated)', {
        status: 429,
        retryable: true,
        retryAfterMs: Math.max(1, resetInMs),
      });
    }
    await sleep(drawLatencyMs(this.options.latencyMs, this.random), signal);

    const { seed } = this.options;
    const contents = request.messages.map((message) => message.content);
    if (unitInterval(seed, 'reject', request.model, ...contents) < this.options.rejectRate) {
      throw new ProviderError('request rejected by content policy (simulated)', { status: 400, retryable: false });
    }
    if (drawFailure(this.options.failureRate, this.random)) {
      throw new ProviderError('provider unavailable (simulated)', { status: 503, retryable: true });
    }

    const content = this.answer(request, contents);
    return {
      content,
      usage: {
        promptTokens: Math.ceil(contents.join('').length / CHARS_PER_TOKEN),
        completionTokens: Math.ceil(content.length / CHARS_PER_TOKEN),
      },
    };
  }

  private answer(request: ChatRequest, contents: string[]): string {
    const { response } = request;
    if (response === 'text') return this.textAnswer(request);
    const kind = response as AnalysisKind;
    if (kind === AnalysisKind.SCORE) return this.scoreAnswer(request, contents);
    return JSON.stringify(simulatedAnalysis(this.options.seed, kind, request));
  }

  private scoreAnswer(request: ChatRequest, contents: string[]): string {
    const score = Math.round(unitInterval(this.options.seed, 'score', request.model, ...contents) * 1000) / 1000;
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

  private textAnswer(request: ChatRequest): string {
    const lastUserMessage = [...request.messages].reverse().find((message) => message.role === 'user');
    const quote = (lastUserMessage?.content ?? '').slice(0, QUOTE_LENGTH).replace(/\s+/g, ' ').trim();
    return (
      `Simulated answer from ${request.model}. The request concerned: "${quote}". ` +
      'Scores are spread across the range; records above the threshold share the traits the criterion asks for, ' +
      'while the rest fall short on one or more of them.'
    );
  }
}
