import { setMaxListeners } from 'node:events';
import type { ChatRequest } from '@app/contracts';
import { ProviderError } from '@app/contracts';
import { InMemoryRequestWindow } from './in-memory-request-window';
import type { LlmSimulatorOptions } from './llm.simulator';
import { LlmSimulator } from './llm.simulator';

describe(LlmSimulator.name, () => {
  const signal = new AbortController().signal;
  // Shared by hundreds of concurrent calls in these specs; each removes its listener when done.
  setMaxListeners(0, signal);
  const simulator = (overrides: Partial<LlmSimulatorOptions> = {}): LlmSimulator =>
    new LlmSimulator({
      seed: 11,
      latencyMs: { min: 0, max: 1 },
      failureRate: 0,
      rejectRate: 0,
      requestsPerMinute: 10_000,
      window: new InMemoryRequestWindow(),
      ...overrides,
    });
  const request = (record: string, response: ChatRequest['response'] = 'score'): ChatRequest => ({
    model: 'gpt-3.5-turbo',
    temperature: 0.7,
    response,
    messages: [
      { role: 'system', content: 'Score the record.' },
      { role: 'user', content: record },
    ],
  });
  const scoreOf = async (provider: LlmSimulator, req: ChatRequest): Promise<number> =>
    (JSON.parse((await provider.complete(req, signal)).content) as { score: number }).score;

  it('gives the same score to the same request across instances', async () => {
    const first = await simulator().complete(request('record one'), signal);
    const second = await simulator({ random: () => 0.9 }).complete(request('record one'), signal);
    expect(second).toEqual(first);
    const answer = JSON.parse(first.content) as { score: number; reason: string };
    expect(answer.score).toBeGreaterThanOrEqual(0);
    expect(answer.score).toBeLessThanOrEqual(1);
    expect(Math.round(answer.score * 1000) / 1000).toBe(answer.score);
    expect(answer.reason).toEqual(expect.any(String));
    expect(first.usage.promptTokens).toBe(Math.ceil(('Score the record.' + 'record one').length / 4));
    expect(first.usage.completionTokens).toBe(Math.ceil(first.content.length / 4));
  });

  it('scores depend on the seed, the model and the messages', async () => {
    const records = Array.from({ length: 10 }, (_, i) => `record ${i}`);
    const scores = async (provider: LlmSimulator, model = 'gpt-3.5-turbo'): Promise<number[]> =>
      Promise.all(records.map((r) => scoreOf(provider, { ...request(r), model })));
    const base = await scores(simulator());
    expect(new Set(base).size).toBeGreaterThan(5);
    expect(await scores(simulator({ seed: 12 }))).not.toEqual(base);
    expect(await scores(simulator(), 'gpt-4')).not.toEqual(base);
  });

  it('answers text requests with a paragraph naming the model and quoting the last user message', async () => {
    const long = `Dimension quality. ${'x'.repeat(300)}`;
    const response = await simulator().complete(request(long, 'text'), signal);
    expect(response.content).toContain('gpt-3.5-turbo');
    expect(response.content).toContain(`"${long.slice(0, 120)}"`);
    expect(response.content).not.toContain(long.slice(0, 121));
    expect(await simulator().complete(request(long, 'text'), signal)).toEqual(response);
  });

  it('rejects the same requests every time, as non-retryable 400s', async () => {
    const provider = simulator({ rejectRate: 0.5 });
    const records = Array.from({ length: 40 }, (_, i) => `record ${i}`);
    const outcome = async (): Promise<boolean[]> =>
      Promise.all(
        records.map((r) =>
          provider.complete(request(r), signal).then(
            () => false,
            () => true,
          ),
        ),
      );
    const rejected = await outcome();
    expect(await outcome()).toEqual(rejected);
    expect(rejected.filter(Boolean).length).toBeGreaterThan(5);
    expect(rejected.filter(Boolean).length).toBeLessThan(35);
    const index = rejected.indexOf(true);
    await expect(provider.complete(request(records[index]), signal)).rejects.toMatchObject({
      name: 'ProviderError',
      status: 400,
      retryable: false,
    });
  });

  it('always fails with a retryable 503 when failureRate is 1', async () => {
    const provider = simulator({ failureRate: 1 });
    for (let i = 0; i < 5; i++) {
      const error = await provider.complete(request(`record ${i}`), signal).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error).toMatchObject({ status: 503, retryable: true });
    }
  });

  it('answers 429 with retryAfterMs once the window is full, without waiting the latency', async () => {
    let now = 0;
    const provider = simulator({
      requestsPerMinute: 2,
      window: new InMemoryRequestWindow({ now: () => now }),
      latencyMs: { min: 0, max: 0 },
    });
    await provider.complete(request('a'), signal);
    now = 15_000;
    await provider.complete(request('b'), signal);
    const error = await provider.complete(request('c'), signal).catch((err: unknown) => err);
    expect(error).toMatchObject({ name: 'ProviderError', status: 429, retryable: true, retryAfterMs: 45_000 });
    now = 60_000;
    await expect(provider.complete(request('c'), signal)).resolves.toBeDefined();
  });

  it('rejects quickly when aborted during the latency', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const completing = simulator({ latencyMs: { min: 5_000, max: 5_000 } }).complete(
      request('slow'),
      controller.signal,
    );
    setTimeout(() => controller.abort(), 10);
    await expect(completing).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
