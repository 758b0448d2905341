import { ConfigError, loadConfig } from '@app/config';
import { CollectorConfig, collectorOptions } from './collector.config';

describe(CollectorConfig.name, () => {
  it('loads with an empty environment, using its defaults', () => {
    const config = loadConfig(CollectorConfig, {});
    expect(config).toBeInstanceOf(CollectorConfig);
    expect(config).toMatchObject({
      DATA_SOURCE_MODE: 'simulated',
      COLLECT_SOURCE_CONCURRENCY: 8,
      COLLECT_SOURCE_TIMEOUT_MS: 10_000,
      EVALUATE_CHUNK_SIZE: 25,
      WORKER_CONCURRENCY: 4,
    });
  });

  it('refuses a data-source mode other than the simulator and a failure rate above 1', () => {
    expect(() => loadConfig(CollectorConfig, { DATA_SOURCE_MODE: 'live', SIM_SOURCE_FAILURE_RATE: '1.5' })).toThrow(
      ConfigError,
    );
    try {
      loadConfig(CollectorConfig, { DATA_SOURCE_MODE: 'live', SIM_SOURCE_FAILURE_RATE: '1.5' });
    } catch (error) {
      expect((error as ConfigError).problems.map((problem) => problem.split('=')[0]).sort()).toEqual([
        'DATA_SOURCE_MODE',
        'SIM_SOURCE_FAILURE_RATE',
      ]);
    }
  });

  it('listens for probes and metrics on its own default port, 3001, beside the other apps', () => {
    expect(loadConfig(CollectorConfig, {}).HEALTH_PORT).toBe(3001);
    expect(loadConfig(CollectorConfig, { HEALTH_PORT: '9464' }).HEALTH_PORT).toBe(9464);
  });

  it('groups its settings for the collect stage and the simulated sources', () => {
    const options = collectorOptions(
      loadConfig(CollectorConfig, { EVALUATE_CHUNK_SIZE: '10', SIM_SOURCE_RECORDS: '7' }),
    );
    expect(options.collect).toEqual({
      sourceConcurrency: 8,
      sourceTimeoutMs: 10_000,
      maxAttempts: 4,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      chunkSize: 10,
    });
    expect(options.sources).toEqual({
      kind: 'simulated',
      seed: 42,
      recordsPerSource: 7,
      latencyMs: { min: 50, max: 300 },
      failureRate: 0.1,
    });
    expect(options.concurrency).toBe(4);
  });
});
