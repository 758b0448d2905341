import { seededRandom, sleep } from '@app/common';
import type { ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import type { RequestWindow } from './request-window';
import { SimulatedAnswers } from './simulated-answers';
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

/**
 * Behaves like a rate-limited LLM API: answers are a pure function of (seed, model, messages), so the
 * same request always gets the same score or analysis, while latency and transient failures are random noise.
 */
export class LlmSimulator implements LlmProvider {
  private readonly random: () => number;
  private readonly answers: SimulatedAnswers;

  constructor(private readonly options: LlmSimulatorOptions) {
    assertLatencyRange(options.latencyMs);
    assertProbability('failureRate', options.failureRate);
    assertProbability('rejectRate', options.rejectRate);
    if (!(options.requestsPerMinute > 0))
      throw new RangeError(`requestsPerMinute must be positive, got ${options.requestsPerMinute}`);
    this.random = options.random ?? seededRandom(options.seed);
    this.answers = new SimulatedAnswers(options.seed);
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

    if (this.answers.rejects(request, this.options.rejectRate)) {
      throw new ProviderError('request rejected by content policy (simulated)', { status: 400, retryable: false });
    }
    if (drawFailure(this.options.failureRate, this.random)) {
      throw new ProviderError('provider unavailable (simulated)', { status: 503, retryable: true });
    }
    return this.answers.answer(request);
  }
}
