import { Semaphore, sleep } from '@app/common';
import type { ChatRequest, ChatResponse, LlmProvider } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import type { LlmCallOptions } from './llm-client';
import { LlmClient } from './llm-client';
import type { LlmCallOutcome, LlmObserver, RateLimiter, ResponseCache } from './llm.ports';
import type { ScoreRecordInput, SummarizeDimensionInput } from './prompt-builder';
import { PromptBuilder } from './prompt-builder';
import { RedisResponseCache } from './redis-response-cache';

class FakeLimiter implements RateLimiter {
  acquired = 0;
  readonly pauses: number[] = [];

  async acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.acquired++;
  }

  async pause(ms: number): Promise<void> {
    this.pauses.push(ms);
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

type Answer = (request: ChatRequest, signal: AbortSignal, call: number) => Promise<string>;

class FakeProvider implements LlmProvider {
  readonly signals: AbortSignal[] = [];

  constructor(private readonly answer: Answer) {}

  get calls(): number {
    return this.signals.length;
  }

  async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
    this.signals.push(signal);
    const content = await this.answer(request, signal, this.signals.length);
    return { content, usage: { promptTokens: 1, completionTokens: 1 } };
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
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as unknown), { once: true }));

const SCORE = '{"score": 0.8, "reason": "ok"}';

describe(LlmClient.name, () => {
  const options: LlmCallOptions = { timeoutMs: 1_000, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 };
  const input: ScoreRecordInput = {
    model: 'gpt-3.5-turbo',
    temperature: 0.7,
    dimension: { id: 'dim1', name: 'quality', threshold: 0.6 },
    record: { id: 'api1-1', content: 'some record', fields: { index: 0 } },
  };
  const noAbort = (): AbortSignal => new AbortController().signal;

  const setup = (answer: Answer, overrides: { options?: Partial<LlmCallOptions>; permits?: number } = {}) => {
    const provider = new FakeProvider(answer);
    const limiter = new FakeLimiter();
    const cache = new FakeCache();
    const logger = { warn: jest.fn<void, [string]>() };
    const observer = new RecordingObserver();
    const client = new LlmClient({
      provider,
      limiter,
      cache,
      concurrency: new Semaphore(overrides.permits ?? 4),
      options: { ...options, ...overrides.options },
      logger,
      observer,
    });
    return { client, provider, limiter, cache, logger, observer };
  };

  it('calls the provider on a miss, caches the answer and serves the next call from the cache', async () => {
    const { client, provider, limiter, cache } = setup(async () => SCORE);
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: false });
    expect(cache.entries.get(RedisResponseCache.keyFor(new PromptBuilder().scoreRecord(input)))).toBe(SCORE);
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: true });
    expect(provider.calls).toBe(1);
    expect(limiter.acquired).toBe(1);
  });

  it('reports every attempt by outcome, the limiter waits and the tokens, and cache hits as cached', async () => {
    const { client, observer } = setup(async (_request, signal, call) => {
      if (call === 1) throw new ProviderError('rate limited', { status: 429, retryable: true, retryAfterMs: 1 });
      if (call === 2) throw new ProviderError('unavailable', { status: 503, retryable: true });
      if (call === 3) return hangUntilAborted(signal);
      return SCORE;
    });
    await expect(client.scoreRecord(input, noAbort())).rejects.toThrow(/timed out/);
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: false });
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: true });
    expect(observer.calls).toEqual(['429', '5xx', 'timeout', 'ok', 'cached']);
    expect(observer.waits).toBe(4);
    expect(observer.tokens).toBe(2);
  });

  it('takes no limiter token and makes no provider call on a cache hit', async () => {
    const { client, provider, limiter, cache } = setup(async () => SCORE);
    cache.entries.set(RedisResponseCache.keyFor(new PromptBuilder().scoreRecord(input)), '{"score": 0.3}');
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.3, cached: true });
    expect(provider.calls).toBe(0);
    expect(limiter.acquired).toBe(0);
  });

  it('pauses the shared limiter on a 429 and retries after retryAfterMs', async () => {
    const { client, provider, limiter, logger } = setup(async (_request, _signal, call) => {
      if (call === 1) throw new ProviderError('rate limited', { status: 429, retryable: true, retryAfterMs: 40 });
      return SCORE;
    });
    const started = Date.now();
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    expect(limiter.pauses).toEqual([40]);
    expect(limiter.acquired).toBe(2);
    expect(provider.calls).toBe(2);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('rate limited'));
  });

  it('retries transient failures up to maxAttempts and rethrows the last one', async () => {
    const { client, provider, cache } = setup(async () => {
      throw new ProviderError('unavailable', { status: 503, retryable: true });
    });
    await expect(client.scoreRecord(input, noAbort())).rejects.toMatchObject({ status: 503 });
    expect(provider.calls).toBe(3);
    expect(cache.entries.size).toBe(0);
  });

  it('stops after one attempt on a non-retryable error', async () => {
    const rejection = new ProviderError('content policy', { status: 400, retryable: false });
    const { client, provider, limiter } = setup(async () => {
      throw rejection;
    });
    await expect(client.scoreRecord(input, noAbort())).rejects.toBe(rejection);
    expect(provider.calls).toBe(1);
    expect(limiter.pauses).toEqual([]);
  });

  it('neither retries nor caches an unparseable answer', async () => {
    const { client, provider, cache } = setup(async () => 'I would say 0.8');
    await expect(client.scoreRecord(input, noAbort())).rejects.toMatchObject({
      name: 'ProviderError',
      retryable: false,
      message: expect.stringMatching(/^unparseable answer/),
    });
    expect(provider.calls).toBe(1);
    expect(cache.entries.size).toBe(0);
  });

  it('retries a call that timed out', async () => {
    const { client, provider } = setup(
      async (_request, signal, call) => (call === 1 ? hangUntilAborted(signal) : SCORE),
      { options: { timeoutMs: 30 } },
    );
    await expect(client.scoreRecord(input, noAbort())).resolves.toEqual({ score: 0.8, cached: false });
    expect(provider.calls).toBe(2);
    expect(provider.signals[0].reason).toMatchObject({ name: 'TimeoutError' });
  });

  it('reports a retryable ProviderError when every attempt times out', async () => {
    const { client, provider } = setup(async (_request, signal) => hangUntilAborted(signal), {
      options: { timeoutMs: 20, maxAttempts: 2 },
    });
    await expect(client.scoreRecord(input, noAbort())).rejects.toMatchObject({
      name: 'ProviderError',
      retryable: true,
      message: 'LLM call timed out after 20 ms',
    });
    expect(provider.calls).toBe(2);
  });

  it("does not retry after the caller's own abort", async () => {
    const { client, provider } = setup(async (_request, signal) => hangUntilAborted(signal));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const started = Date.now();
    await expect(client.scoreRecord(input, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(500);
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
        client.scoreRecord({ ...input, record: { ...input.record, id: `r${i}`, content: `record ${i}` } }, noAbort()),
      ),
    );
    expect(provider.calls).toBe(8);
    expect(peak).toBe(2);
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
    await expect(client.summarizeDimension(summaryInput, noAbort())).resolves.toBe('Half of the records pass.');
    await expect(client.summarizeDimension(summaryInput, noAbort())).resolves.toBe('Half of the records pass.');
    expect(provider.calls).toBe(1);
  });
});
