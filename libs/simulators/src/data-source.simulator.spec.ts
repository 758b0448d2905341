import { setMaxListeners } from 'node:events';
import type { SourceSpec } from '@app/contracts';
import { DataSourceType, ProviderError } from '@app/contracts';
import type { DataSourceSimulatorOptions } from './data-source.simulator';
import { DataSourceSimulator } from './data-source.simulator';

/** Every record of a source, the batches joined. */
async function fetchAll(reader: DataSourceSimulator, ...args: Parameters<DataSourceSimulator['read']>) {
  const records = [];
  for await (const batch of reader.read(...args)) records.push(...batch);
  return records;
}

describe(DataSourceSimulator.name, () => {
  const signal = new AbortController().signal;
  // Shared by hundreds of concurrent calls in these specs; each removes its listener when done.
  setMaxListeners(0, signal);
  const source = (id: string, simulation?: SourceSpec['simulation']): SourceSpec => ({
    id,
    type: DataSourceType.API,
    url: 'https://example.test',
    simulation,
  });
  const simulator = (overrides: Partial<DataSourceSimulatorOptions> = {}): DataSourceSimulator =>
    new DataSourceSimulator({
      seed: 7,
      recordsPerSource: 20,
      latencyMs: { min: 0, max: 2 },
      failureRate: 0,
      ...overrides,
    });

  it('returns identical records for the same seed and source across instances', async () => {
    const first = await fetchAll(simulator(), source('api1'), signal);
    const second = await fetchAll(simulator({ random: () => 0.5 }), source('api1'), signal);
    expect(first).toHaveLength(20);
    expect(second).toEqual(first);
  });

  it('produces different content for another seed or another source', async () => {
    const base = await fetchAll(simulator(), source('api1'), signal);
    const otherSeed = await fetchAll(simulator({ seed: 8 }), source('api1'), signal);
    const otherSource = await fetchAll(simulator(), source('api2'), signal);
    expect(otherSeed.map((r) => r.content)).not.toEqual(base.map((r) => r.content));
    expect(otherSource.map((r) => r.content)).not.toEqual(base.map((r) => r.content));
  });

  it('shapes every record as documented', async () => {
    const records = await fetchAll(simulator({ recordsPerSource: 200 }), source('db1'), signal);
    records.forEach((record, index) => {
      expect(record.id).toBe(`db1-${index + 1}`);
      const words = record.content.replace(/\.$/, '').split(' ');
      expect(words.length).toBeGreaterThanOrEqual(8);
      expect(words.length).toBeLessThanOrEqual(30);
      expect(record.fields).toEqual({
        source_id: 'db1',
        index,
        category: expect.stringMatching(/^(news|review|report|forum|faq)$/),
        value: expect.any(Number),
        created_at: expect.stringMatching(/^2025-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
      });
      const value = record.fields.value as number;
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1000);
      expect(Math.round(value * 100) / 100).toBe(value);
    });
    expect(new Set(records.map((r) => r.fields.category)).size).toBe(5);
  });

  it('honours the per-source record count, failure rate and latency overrides', async () => {
    const failing = simulator({ failureRate: 1 });
    await expect(fetchAll(failing, source('api1', { records: 3, failureRate: 0 }), signal)).resolves.toHaveLength(3);
    await expect(fetchAll(simulator(), source('api1', { records: 0 }), signal)).resolves.toEqual([]);
    await expect(fetchAll(simulator(), source('api1', { failureRate: 1 }), signal)).rejects.toBeInstanceOf(
      ProviderError,
    );

    const started = Date.now();
    await fetchAll(simulator(), source('api1', { latencyMs: 60 }), signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('fails with a retryable 503 ProviderError when the failure draw hits', async () => {
    const failing = simulator({ failureRate: 1 });
    for (let i = 0; i < 5; i++) {
      await expect(fetchAll(failing, source('api1'), signal)).rejects.toMatchObject({
        name: 'ProviderError',
        status: 503,
        retryable: true,
        message: 'source api1 unavailable (simulated)',
      });
    }
  });

  it('fails about failureRate of the fetches', async () => {
    const flaky = simulator({ failureRate: 0.3, latencyMs: { min: 0, max: 0 }, recordsPerSource: 1 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, () => fetchAll(flaky, source('api1'), signal)),
    );
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').length;
    expect(failures).toBeGreaterThan(60);
    expect(failures).toBeLessThan(120);
  });

  it('rejects with the abort reason during the latency', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const fetching = fetchAll(simulator({ latencyMs: { min: 5_000, max: 5_000 } }), source('api1'), controller.signal);
    setTimeout(() => controller.abort(), 10);
    await expect(fetching).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('rejects invalid options', () => {
    expect(() => simulator({ failureRate: 1.5 })).toThrow(RangeError);
    expect(() => simulator({ latencyMs: { min: 10, max: 5 } })).toThrow(RangeError);
  });
});
