import type { Semaphore } from '@app/common';
import { backoffDelay, describeError, LinkedAbortController, sleep } from '@app/common';
import type { AnalysisOutputs, ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { AnalysisKind, ProviderError } from '@app/contracts';
import { parseAnalysis } from './analysis/analysis-kinds';
import type { CircuitBreaker, LlmCallOutcome, LlmObserver, OutageState, RateLimiter, ResponseCache } from './llm.ports';
import type { AnalyseRecordInput, ScoreRecordInput, SummarizeDimensionInput } from './prompt-builder';
import { PromptBuilder } from './prompt-builder';
import { RedisResponseCache } from './redis-response-cache';
import type { UsageMeter } from './usage-meter';

export interface LlmCallOptions {
  /** Limit of one provider call; a call that runs out of time is retried. */
  timeoutMs: number;
  /** Backoff between attempts while the provider is unavailable. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long the provider may stay unavailable before the calls waiting for it fail (LLM_OUTAGE_MAX_MS). */
  outageMaxMs: number;
}

export interface LlmClientDeps {
  provider: LlmProvider;
  limiter: RateLimiter;
  breaker: CircuitBreaker;
  cache: ResponseCache;
  /** Bounds this process's calls in flight, including their retries. */
  concurrency: Semaphore;
  options: LlmCallOptions;
  logger?: { warn(message: string): void };
  observer?: LlmObserver;
}

const CHARS_PER_TOKEN = 4;
/** Completion tokens a call is expected to take when max_tokens is not set: what the limiter books. */
const EXPECTED_COMPLETION_TOKENS = { answer: 150, text: 300 } as const;

/**
 * The only way the apps talk to the LLM: answers come from the shared cache when possible, otherwise
 * from the provider under the shared rate limit and circuit breaker. What the provider answers decides
 * what happens: a verdict on the request (a refusal, a 400, a reply that does not fit its kind after
 * one re-ask) fails that call; unavailability (429, 5xx, a timeout, a refused connection) is waited
 * out, for up to outageMaxMs; a refusal of the service itself (a bad key) fails at once
 * (ProviderError.fatal). What every call costs goes to the caller's meter.
 */
export class LlmClient {
  private readonly prompts = new PromptBuilder();

  constructor(private readonly deps: LlmClientDeps) {}

  async scoreRecord(
    input: ScoreRecordInput,
    signal: AbortSignal,
    meter: UsageMeter,
  ): Promise<{ score: number; cached: boolean }> {
    const { output, cached } = await this.analyseRecord({ ...input, kind: AnalysisKind.SCORE }, signal, meter);
    return { score: output.score, cached };
  }

  /**
   * The record's analysis of the input's kind, checked against the kind's schema. A reply that does
   * not fit is asked again once, with what was wrong with it; a second miss is the record's verdict.
   */
  async analyseRecord<K extends AnalysisKind>(
    input: AnalyseRecordInput & { kind: K },
    signal: AbortSignal,
    meter: UsageMeter,
  ): Promise<{ output: AnalysisOutputs[K]; cached: boolean }> {
    const request = this.prompts.analyseRecord(input);
    const parse = (content: string) => parseAnalysis(input.kind, content, input.params);
    const first = await this.complete(request, signal, meter);
    const parsed = tryParse(parse, first.content);
    if (parsed.ok) {
      if (!first.cached) await this.deps.cache.set(first.key, first.content);
      return { output: parsed.value, cached: first.cached };
    }
    const again = await this.complete(this.prompts.reask(request, first.content, parsed.error.message), signal, meter);
    const reparsed = tryParse(parse, again.content);
    if (!reparsed.ok) throw reparsed.error;
    if (!again.cached) await this.deps.cache.set(again.key, again.content);
    return { output: reparsed.value, cached: again.cached };
  }

  async summarizeDimension(input: SummarizeDimensionInput, signal: AbortSignal, meter: UsageMeter): Promise<string> {
    const answer = await this.complete(this.prompts.summarizeDimension(input), signal, meter);
    if (!answer.cached) await this.deps.cache.set(answer.key, answer.content);
    return answer.content.trim();
  }

  /** The answer from the cache or the provider; the caller caches it once it has judged it usable. */
  private async complete(
    request: ChatRequest,
    signal: AbortSignal,
    meter: UsageMeter,
  ): Promise<{ key: string; content: string; cached: boolean }> {
    const key = RedisResponseCache.keyFor(request);
    const hit = await this.deps.cache.get(key);
    if (hit !== null) {
      meter.cacheHit();
      this.deps.observer?.llmCall('cached', 0);
      return { key, content: hit, cached: true };
    }
    const response = await this.deps.concurrency.run(() => this.call(request, signal), signal);
    meter.call(response.usage);
    return { key, content: response.content, cached: false };
  }

  /** One answer from the provider, waiting out its unavailability for up to outageMaxMs. */
  private async call(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    const { breaker, options, logger } = this.deps;
    const tokens = estimateTokens(request);
    for (let attempt = 1; ; attempt++) {
      const outage = await breaker.admit(signal, options.outageMaxMs);
      if (outage && outage.outageMs >= options.outageMaxMs) throw outageTooLong(outage);
      const outcome = await this.attempt(request, tokens, signal);
      if (!(outcome instanceof ProviderError)) return outcome;
      const error = outcome;
      if (!error.retryable) {
        // A verdict on the request is an answer all the same: the provider is up (this may be the probe).
        if (!error.fatal) await breaker.success();
        throw error;
      }
      const state = await breaker.failure(describeError(error));
      if (state.outageMs >= options.outageMaxMs) throw outageTooLong(state);
      const delayMs = Math.max(backoffDelay(attempt, options), error.retryAfterMs ?? 0);
      logger?.warn(
        `LLM call failed on attempt ${attempt} (${describeError(error)}); provider unavailable for ` +
          `${Math.round(state.outageMs / 1000)} s, retrying in ${Math.round(delayMs)} ms`,
      );
      await sleep(delayMs, signal);
    }
  }

  /**
   * One call under the limiter and the timeout: the answer, or the ProviderError it ended with (our
   * timeout becomes a retryable one). Anything else, and the caller's abort, is thrown.
   */
  private async attempt(
    request: ChatRequest,
    tokens: number,
    signal: AbortSignal,
  ): Promise<ChatResponse | ProviderError> {
    const { provider, limiter, breaker, options, observer } = this.deps;
    const waitStarted = performance.now();
    await limiter.acquire(tokens, signal);
    const callStarted = performance.now();
    observer?.llmLimiterWait((callStarted - waitStarted) / 1000);
    const deadline = new LinkedAbortController([signal], options.timeoutMs);
    const seconds = () => (performance.now() - callStarted) / 1000;
    let error: unknown;
    try {
      const response = await provider.complete(request, deadline.signal);
      observer?.llmCall('ok', seconds());
      observer?.llmTokens(response.usage.promptTokens, response.usage.completionTokens);
      await breaker.success();
      if (response.rateLimits) await limiter.observe(response.rateLimits);
      return response;
    } catch (thrown) {
      if (signal.aborted) throw signal.reason;
      error = thrown;
    } finally {
      deadline.release();
    }
    const timedOut = deadline.signal.aborted;
    observer?.llmCall(callOutcome(error, timedOut), seconds());
    if (timedOut) {
      return new ProviderError(`LLM call timed out after ${options.timeoutMs} ms`, { retryable: true, cause: error });
    }
    if (!(error instanceof ProviderError)) throw error;
    if (error.rateLimits) await limiter.observe(error.rateLimits);
    // A 429 means every replica is too fast, not just this call: hold them all back.
    if (error.retryAfterMs !== undefined) await limiter.pause(error.retryAfterMs);
    return error;
  }
}

/** Tokens a request will take, about: its messages' characters, plus the expected completion. */
export function estimateTokens(request: ChatRequest): number {
  const characters = request.messages.reduce((total, message) => total + message.content.length, 0);
  const completion =
    request.maxTokens ??
    (request.response === 'text' ? EXPECTED_COMPLETION_TOKENS.text : EXPECTED_COMPLETION_TOKENS.answer);
  return Math.ceil(characters / CHARS_PER_TOKEN) + completion;
}

function outageTooLong(outage: OutageState): ProviderError {
  const seconds = Math.round(outage.outageMs / 1000);
  return new ProviderError(
    `LLM provider unavailable for ${seconds} s (over LLM_OUTAGE_MAX_MS); its last answer: ${outage.lastError}`,
    { retryable: false, fatal: true },
  );
}

/** A reply parsed, or the verdict that it does not fit its kind (anything else is thrown). */
function tryParse<T>(
  parse: (content: string) => T,
  content: string,
): { ok: true; value: T } | { ok: false; error: ProviderError } {
  try {
    return { ok: true, value: parse(content) };
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    return { ok: false, error };
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
