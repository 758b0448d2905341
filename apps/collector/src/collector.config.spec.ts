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

  it('accepts live mode with connections and allowed hosts', () => {
    const config = loadConfig(CollectorConfig, {
      DATA_SOURCE_MODE: 'live',
      DATA_SOURCE_CONNECTIONS: '{"warehouse": "postgres://u:p@db/w"}',
      OUTBOUND_ALLOWED_HOSTS: 'api.internal, 10.0.0.0/8,127.0.0.1',
    });
    expect(config).toMatchObject({ DATA_SOURCE_MODE: 'live', DATA_SOURCE_MAX_RECORDS: 1_000_000 });
  });

  it('refuses an unknown data-source mode, malformed connections, a bad host list and a failure rate above 1', () => {
    const env = {
      DATA_SOURCE_MODE: 'remote',
      DATA_SOURCE_CONNECTIONS: '{"warehouse": "redis://x"}',
      OUTBOUND_ALLOWED_HOSTS: 'a host with spaces',
      SIM_SOURCE_FAILURE_RATE: '1.5',
    };
    expect(() => loadConfig(CollectorConfig, env)).toThrow(ConfigError);
    try {
      loadConfig(CollectorConfig, env);
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems.map((problem) => problem.split('=')[0]).sort()).toEqual([
        'DATA_SOURCE_CONNECTIONS',
        'DATA_SOURCE_MODE',
        'OUTBOUND_ALLOWED_HOSTS',
        'SIM_SOURCE_FAILURE_RATE',
      ]);
      expect(problems.join('\n')).toContain('connection "warehouse" must be postgres://');
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
      simulator: { seed: 42, recordsPerSource: 7, latencyMs: { min: 50, max: 300 }, failureRate: 0.1 },
      limits: { maxRecords: 1_000_000, batchSize: 1000 },
    });
    expect(options.concurrency).toBe(4);
  });

  it('adds what fetching for real takes in live mode', () => {
    const options = collectorOptions(
      loadConfig(CollectorConfig, {
        DATA_SOURCE_MODE: 'live',
        DATA_SOURCE_CONNECTIONS: '{"shop": "mariadb://root@127.0.0.1:3306/shop"}',
        OUTBOUND_ALLOWED_HOSTS: '127.0.0.1',
        DATA_SOURCE_MAX_BYTES: '2048',
      }),
    );
    expect(options.sources).toMatchObject({
      kind: 'live',
      live: {
        allowedHosts: '127.0.0.1',
        connections: new Map([['shop', { engine: 'mysql', url: 'mysql://root@127.0.0.1:3306/shop' }]]),
        maxBytes: 2048,
        maxPages: 1000,
        statementTimeoutMs: 30_000,
      },
    });
  });
});
