import type { Semaphore } from '@app/common';
import { describeError, retry, timeoutSignal } from '@app/common';
import type { AnalysisOutputs, ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { AnalysisKind, ProviderError } from '@app/contracts';
import { parseAnalysis } from './analysis/analysis-kinds';
import type { LlmCallOutcome, LlmObserver, RateLimiter, ResponseCache } from './llm.ports';
import type { AnalyseRecordInput, ScoreRecordInput, SummarizeDimensionInput } from './prompt-builder';
import { PromptBuilder } from './prompt-builder';
import { RedisResponseCache } from './redis-response-cache';

export interface LlmCallOptions {
  /** Limit of one provider call; a call that runs out of time is retried. */
  timeoutMs: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface LlmClientDeps {
  provider: LlmProvider;
  limiter: RateLimiter;
  cache: ResponseCache;
  /** Bounds this process's calls in flight, including their retries. */
  concurrency: Semaphore;
  options: LlmCallOptions;
  logger?: { warn(message: string): void };
  observer?: LlmObserver;
}

/**
 * The only way the apps talk to the LLM: answers come from the shared cache when possible, otherwise
 * from the provider under the shared rate limit, with timeouts and retries of transient failures.
 */
export class LlmClient {
  private readonly prompts = new PromptBuilder();

  constructor(private readonly deps: LlmClientDeps) {}

  async scoreRecord(input: ScoreRecordInput, signal: AbortSignal): Promise<{ score: number; cached: boolean }> {
    const { output, cached } = await this.analyseRecord({ ...input, kind: AnalysisKind.SCORE }, signal);
    return { score: output.score, cached };
  }

  /** The record's analysis of the input's kind, checked against the kind's schema. */
  async analyseRecord<K extends AnalysisKind>(
    input: AnalyseRecordInput & { kind: K },
    signal: AbortSignal,
  ): Promise<{ output: AnalysisOutputs[K]; cached: boolean }> {
    const { value, cached } = await this.complete(
      this.prompts.analyseRecord(input),
      (content) => parseAnalysis(input.kind, content, input.params),
      signal,
    );
    return { output: value, cached };
  }

  async summarizeDimension(input: SummarizeDimensionInput, signal: AbortSignal): Promise<string> {
    const { value } = await this.complete(this.prompts.summarizeDimension(input), (content) => content.trim(), signal);
    return value;
  }

  private async complete<T>(
    request: ChatRequest,
    parse: (content: string) => T,
    signal: AbortSignal,
  ): Promise<{ value: T; cached: boolean }> {
    const key = RedisResponseCache.keyFor(request);
    const hit = await this.deps.cache.get(key);
    if (hit !== null) {
      this.deps.observer?.llmCall('cached', 0);
      return { value: parse(hit), cached: true };
    }

    const { options, logger } = this.deps;
    const response = await this.deps.concurrency.run(
      () =>
        retry((_attempt, attemptSignal) => this.callProvider(request, attemptSignal), {
          ...options,
          signal,
          isRetryable: (err) => err instanceof ProviderError && err.retryable,
          retryAfterMs: (err) => (err instanceof ProviderError ? err.retryAfterMs : undefined),
          onRetry: (err, attempt, delayMs) =>
            logger?.warn(
              `LLM call failed on attempt ${attempt} (${describeError(err)}); retrying in ${Math.round(delayMs)} ms`,
            ),
        }),
      signal,
    );
    // Parsed before caching so a malformed answer is never served again from the cache.
    const value = parse(response.content);
    await this.deps.cache.set(key, response.content);
    return { value, cached: false };
  }

  private async callProvider(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    const { observer } = this.deps;
    const waitStarted = performance.now();
    await this.deps.limiter.acquire(signal);
    const callStarted = performance.now();
    observer?.llmLimiterWait((callStarted - waitStarted) / 1000);
    const { timeoutMs } = this.deps.options;
    const attemptSignal = timeoutSignal(signal, timeoutMs);
    try {
      const response = await this.deps.provider.complete(request, attemptSignal);
      observer?.llmCall('ok', (performance.now() - callStarted) / 1000);
      observer?.llmTokens(response.usage.promptTokens, response.usage.completionTokens);
      return response;
    } catch (err) {
      if (!signal.aborted)
        observer?.llmCall(callOutcome(err, attemptSignal.aborted), (performance.now() - callStarted) / 1000);
      // A 429 means every replica is too fast, not just this call: hold them all back.
      if (err instanceof ProviderError && err.retryAfterMs !== undefined)
        await this.deps.limiter.pause(err.retryAfterMs);
      // Our own timeout is transient; the caller's abort is not (retry() sees signal.aborted and stops).
      if (attemptSignal.aborted && !signal.aborted) {
        throw new ProviderError(`LLM call timed out after ${timeoutMs} ms`, { retryable: true, cause: err });
      }
      throw err;
    }
  }
}

/** The outcome label of a failed call: our timeout, the provider's 429 or 5xx, or anything else. */
function callOutcome(err: unknown, timedOut: boolean): LlmCallOutcome {
  if (timedOut) return 'timeout';
  if (err instanceof ProviderError) {
    if (err.status === 429 || err.retryAfterMs !== undefined) return '429';
    if (err.status !== undefined && err.status >= 500) return '5xx';
  }
  return 'error';
}
