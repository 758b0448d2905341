import { Semaphore, sleep } from '@app/common';
import type { ChatRequest, ChatResponse, LlmProvider, ProviderRateLimits } from '@app/contracts';
import { AnalysisKind, ProviderError } from '@app/contracts';
import type { LlmCallOptions } from './llm-client';
import { estimateTokens, LlmClient } from './llm-client';
import type { CircuitBreaker, LlmCallOutcome, LlmObserver, OutageState, RateLimiter, ResponseCache } from './llm.ports';
import type { ScoreRecordInput, SummarizeDimensionInput } from './prompt-builder';
import { PromptBuilder } from './prompt-builder';
import { RedisResponseCache } from './redis-response-cache';
import { UsageMeter } from './usage-meter';

class FakeLimiter implements RateLimiter {
  readonly booked: number[] = [];
  readonly pauses: number[] = [];
  readonly observed: ProviderRateLimits[] = [];

  async acquire(tokens: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.booked.push(tokens);
  }

  async pause(ms: number): Promise<void> {
    this.pauses.push(ms);
  }

  async observe(limits: ProviderRateLimits): Promise<void> {
    this.observed.push(limits);
  }
}

/** The breaker's bookkeeping without the waiting: an outage lasts `msPerFailure` per failure. */
class FakeBreaker implements CircuitBreaker {
  failures: string[] = [];
  successes = 0;

  constructor(private readonly msPerFailure = 1) {}

  async admit(signal: AbortSignal): Promise<OutageState | undefined> {
    signal.throwIfAborted();
    return this.failures.length === 0 ? undefined : this.state();
  }

  async failure(message: string): Promise<OutageState> {
    this.failures.push(message);
    return this.state();
  }

  async success(): Promise<void> {
    this.successes++;
    this.failures = [];
  }

  private state(): OutageState {
    return { outageMs: this.failures.length * this.msPerFailure, lastError: this.failures[this.failures.length - 1] };
  }
}

class FakeCache implements ResponseCache {
  readonly entries = new Map<string, string>();

  async get(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

type Answer = (request: ChatRequest, signal: AbortSignal, call: number) => Promise<string | ChatResponse>;

class FakeProvider implements LlmProvider {
  readonly signals: AbortSignal[] = [];
  readonly requests: ChatRequest[] = [];

  constructor(private readonly answer: Answer) {}

  get calls(): number {
    return this.signals.length;
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    this.signals.push(signal);
    this.requests.push(request);
    const answer = await this.answer(request, signal, this.signals.length);
    return typeof answer === 'string' ? { content: answer, usage: { promptTokens: 10, completionTokens: 2 } } : answer;
  }
}

/** Keeps what the client reports for the metrics. */
class RecordingObserver implements LlmObserver {
  readonly calls: LlmCallOutcome[] = [];
  waits = 0;
  tokens = 0;

  llmCall(outcome: LlmCallOutcome): void {
    this.calls.push(outcome);
  }

  llmLimiterWait(): void {
    this.waits++;
  }

  llmTokens(prompt: number, completion: number): void {
    this.tokens += prompt + completion;
  }
}

/** Never answers; rejects with the signal's reason like a provider honouring its signal. */
const hangUntilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));

const SCORE = '{"score": 0.8, "reason": "ok"}';
const unavailable = () => new ProviderError('provider answered 503: down', { status: 503, retryable: true });

describe(LlmClient.name, () => {
  const options: LlmCallOptions = { timeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5, outageMaxMs: 60_000 };
  const input: ScoreRecordInput = {
    model: 'gpt-3.5-turbo',
    temperature: 0.7,
    dimension: { id: 'dim1', name: 'quality', threshold: 0.6 },
    record: { id: 'api1-1', content: 'some record', fields: { index: 0 } },
  };
  const noAbort = (): AbortSignal => new AbortController().signal;

  const setup = (
    answer: Answer,
    overrides: { options?: Partial<LlmCallOptions>; permits?: number; msPerFailure?: number } = {},
  ) => {
    const provider = new FakeProvider(answer);
    const limiter = new FakeLimiter();
    const breaker = new FakeBreaker(overrides.msPerFailure);
    const cache = new FakeCache();
    const logger = { warn: jest.fn<void, [string]>() };
    const observer = new RecordingObserver();
    const client = new LlmClient({
      provider,
      limiter,
      breaker,
      cache,
      concurrency: new Semaphore(overrides.permits ?? 4),
      options: { ...options, ...overrides.options },
      logger,
      observer,
    });
    return { client, provider, limiter, breaker, cache, logger, observer };
  };

  it('calls the provider on a miss, caches the answer and serves the next call from the cache', async () => {
    const { client, provider, limiter, cache } = setup(async () => SCORE);
    const meter = new UsageMeter();
    await expect(client.scoreRecord(input, noAbort(), meter)).resolves.toEqual({ score: 0.8, cached: false });
    expect(cache.entries.get(RedisResponseCache.keyFor(new PromptBuilder().scoreRecord(input)))).toBe(SCORE);
    await expect(client.scoreRecord(input, noAbort(), meter)).resolves.toEqual({ score: 0.8, cached: true });
    expect(provider.calls).toBe(1);
    expect(limiter.booked).toHaveLength(1);
    expect(meter.usage).toEqual({ promptTokens: 10, completionTokens: 2, calls: 1, cacheHits: 1 });
  });

  it('reports every attempt by outcome, the limiter waits and the tokens, and cache hits as cached', async () => {
    const { client, observer } = setup(
      async (_request, signal, call) => {
        if (call === 1) throw new ProviderError('rate limited', { status: 429, retryable: true, retryAfterMs: 1 });
        if (call === 2) throw unavailable();
        if (call === 3) return hangUntilAborted(signal);
        return SCORE;
      },
      { options: { timeoutMs: 30 } },
    );
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({
      score: 0.8,
      cached: false,
    });
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({ score: 0.8, cached: true });
    expect(observer.calls).toEqual(['429', '5xx', 'timeout', 'ok', 'cached']);
    expect(observer.waits).toBe(4);
    expect(observer.tokens).toBe(12);
  });

  it('books the estimated tokens of the call with the limiter', async () => {
    const { client, limiter } = setup(async () => SCORE);
    await client.scoreRecord({ ...input, maxTokens: 500 }, noAbort(), new UsageMeter());
    const request = new PromptBuilder().scoreRecord({ ...input, maxTokens: 500 });
    expect(limiter.booked).toEqual([estimateTokens(request)]);
    expect(estimateTokens(request)).toBeGreaterThan(500);
  });

  it('takes no limiter slot and makes no provider call on a cache hit', async () => {
    const { client, provider, limiter, cache } = setup(async () => SCORE);
    cache.entries.set(RedisResponseCache.keyFor(new PromptBuilder().scoreRecord(input)), '{"score": 0.3}');
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({ score: 0.3, cached: true });
    expect(provider.calls).toBe(0);
    expect(limiter.booked).toHaveLength(0);
  });

  it('passes on what the provider says about its limits', async () => {
    const rateLimits = { remainingRequests: 0, resetRequestsMs: 900 };
    const { client, limiter } = setup(async () => ({
      content: SCORE,
      usage: { promptTokens: 1, completionTokens: 1 },
      rateLimits,
    }));
    await client.scoreRecord(input, noAbort(), new UsageMeter());
    expect(limiter.observed).toEqual([rateLimits]);
  });

  it('pauses the shared limiter on a 429 and retries after retryAfterMs', async () => {
    const { client, provider, limiter, breaker, logger } = setup(async (_request, _signal, call) => {
      if (call === 1) throw new ProviderError('rate limited', { status: 429, retryable: true, retryAfterMs: 40 });
      return SCORE;
    });
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({
      score: 0.8,
      cached: false,
    });
    expect(limiter.pauses).toEqual([40]);
    expect(limiter.booked).toHaveLength(2);
    expect(provider.calls).toBe(2);
    expect(breaker.successes).toBe(1);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('rate limited'));
  });

  it('waits out an outage however many attempts it takes, and resumes', async () => {
    const { client, provider, breaker } = setup(async (_request, _signal, call) => {
      if (call <= 12) throw unavailable();
      return SCORE;
    });
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({
      score: 0.8,
      cached: false,
    });
    expect(provider.calls).toBe(13);
    expect(breaker.failures).toEqual([]);
    expect(breaker.successes).toBe(1);
  });

  it('fails fatally once the outage has lasted outageMaxMs, naming the last answer', async () => {
    const { client, provider, cache } = setup(
      async () => {
        throw unavailable();
      },
      { options: { outageMaxMs: 50 }, msPerFailure: 10 },
    );
    const error = await client.scoreRecord(input, noAbort(), new UsageMeter()).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ name: 'ProviderError', fatal: true, retryable: false });
    expect((error as Error).message).toMatch(/^LLM provider unavailable for 0 s \(over LLM_OUTAGE_MAX_MS\)/);
    expect((error as Error).message).toContain('provider answered 503: down');
    expect(provider.calls).toBe(5);
    expect(cache.entries.size).toBe(0);
  });

  it('does not call at all while an outage past outageMaxMs is on', async () => {
    const { client, provider, breaker } = setup(async () => SCORE, { options: { outageMaxMs: 5 }, msPerFailure: 10 });
    await breaker.failure('provider answered 502: bad gateway');
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).rejects.toMatchObject({
      fatal: true,
      message: expect.stringContaining('502: bad gateway'),
    });
    expect(provider.calls).toBe(0);
  });

  it.each([
    ['a verdict on the request', new ProviderError('content policy', { status: 400, retryable: false })],
    ['a refusal of the service (bad key)', new ProviderError('401', { status: 401, retryable: false, fatal: true })],
  ])('stops after one attempt on %s', async (_case, rejection) => {
    const { client, provider, limiter, breaker } = setup(async () => {
      throw rejection;
    });
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).rejects.toBe(rejection);
    expect(provider.calls).toBe(1);
    expect(limiter.pauses).toEqual([]);
    expect(breaker.failures).toEqual([]);
    // A verdict shows the provider is up (it closes the breaker); a refusal of the service does not.
    expect(breaker.successes).toBe(rejection.fatal ? 0 : 1);
  });

  it('asks once more after a reply without a score, showing the model its reply and what was wrong', async () => {
    const { client, provider, cache } = setup(async (_request, _signal, call) =>
      call === 1 ? 'I would say 0.8' : '```json\n{"score": 0.6, "reason": "fine"}\n```',
    );
    const meter = new UsageMeter();
    await expect(client.scoreRecord(input, noAbort(), meter)).resolves.toEqual({ score: 0.6, cached: false });
    expect(provider.calls).toBe(2);
    const reask = provider.requests[1].messages;
    expect(reask.slice(0, 2)).toEqual(provider.requests[0].messages);
    expect(reask[2]).toEqual({ role: 'assistant', content: 'I would say 0.8' });
    expect(reask[3]).toMatchObject({
      role: 'user',
      content: expect.stringMatching(/^That reply does not fit: unparseable reply \(not JSON\)/),
    });
    expect(meter.usage.calls).toBe(2);
    expect(cache.entries.get(RedisResponseCache.keyFor(new PromptBuilder().scoreRecord(input)))).toBeUndefined();
  });

  it('fails the record as "unparseable reply" when the second reply has no score either, caching nothing', async () => {
    const { client, provider, cache } = setup(async () => '{"score": 7}');
    const meter = new UsageMeter();
    await expect(client.scoreRecord(input, noAbort(), meter)).rejects.toMatchObject({
      name: 'ProviderError',
      retryable: false,
      fatal: false,
      message: expect.stringMatching(/^unparseable reply \(.*score.*\): \{"score": 7\}$/),
    });
    expect(provider.calls).toBe(2);
    expect(meter.usage).toEqual({ promptTokens: 20, completionTokens: 4, calls: 2, cacheHits: 0 });
    expect(cache.entries.size).toBe(0);
  });

  it('retries a call that timed out', async () => {
    const { client, provider } = setup(
      async (_request, signal, call) => (call === 1 ? hangUntilAborted(signal) : SCORE),
      { options: { timeoutMs: 30 } },
    );
    await expect(client.scoreRecord(input, noAbort(), new UsageMeter())).resolves.toEqual({
      score: 0.8,
      cached: false,
    });
    expect(provider.calls).toBe(2);
    expect(provider.signals[0].reason).toMatchObject({ name: 'TimeoutError' });
  });

  it("does not retry after the caller's own abort", async () => {
    const { client, provider } = setup(async (_request, signal) => hangUntilAborted(signal));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    await expect(client.scoreRecord(input, controller.signal, new UsageMeter())).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(provider.calls).toBe(1);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    let running = 0;
    let peak = 0;
    const { client, provider } = setup(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        return SCORE;
      },
      { permits: 2 },
    );
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.scoreRecord(
          { ...input, record: { ...input.record, id: `r${i}`, content: `record ${i}` } },
          noAbort(),
          new UsageMeter(),
        ),
      ),
    );
    expect(provider.calls).toBe(8);
    expect(peak).toBe(2);
  });

  it('asks other kinds through the same path: a sentiment, its reply checked against the kind', async () => {
    const { client, provider } = setup(async (request) => {
      expect(request.response).toBe('sentiment');
      return '{"label": "positive", "confidence": 0.9}';
    });
    await expect(
      client.analyseRecord({ ...input, kind: AnalysisKind.SENTIMENT }, noAbort(), new UsageMeter()),
    ).resolves.toEqual({ output: { label: 'positive', confidence: 0.9 }, cached: false });
    expect(provider.calls).toBe(1);
  });

  it('summarises a dimension as trimmed text, through the same cache', async () => {
    const summaryInput: SummarizeDimensionInput = {
      model: 'gpt-3.5-turbo',
      temperature: 0.7,
      dimension: input.dimension,
      statistics: { count: 2, mean: 0.5 },
      samples: [{ record_id: 'api1-1', score: 0.5 }],
    };
    const { client, provider } = setup(async (request) => {
      expect(request.response).toBe('text');
      return '  Half of the records pass.\n';
    });
    const meter = new UsageMeter();
    await expect(client.summarizeDimension(summaryInput, noAbort(), meter)).resolves.toBe('Half of the records pass.');
    await expect(client.summarizeDimension(summaryInput, noAbort(), meter)).resolves.toBe('Half of the records pass.');
    expect(provider.calls).toBe(1);
    expect(meter.usage).toMatchObject({ calls: 1, cacheHits: 1 });
  });
});
