import { BaseConfig, LlmWorkerConfig, WorkerConfig } from './base.config';
import { loadConfig } from './load-config';
import { appOptions, llmOptions, loggingOptions, workerOptions } from './options';

describe('configuration options', () => {
  it('groups the shared settings for the libs, with an empty Redis password left out', () => {
    const config = loadConfig(BaseConfig, {
      LOG_LEVEL: 'warn',
      DATABASE_HOST: 'db.internal',
      DATABASE_NAME: 'tasks',
      DATABASE_POOL_SIZE: '3',
      REDIS_PORT: '6380',
      REDIS_DB: '2',
      QUEUE_PREFIX: 'staging',
      QUEUE_JOB_ATTEMPTS: '7',
    });

    expect(appOptions(config)).toEqual({
      logging: { level: 'warn', format: 'json' },
      database: {
        host: 'db.internal',
        port: 5432,
        username: 'postgres',
        password: 'postgres',
        database: 'tasks',
        poolSize: 3,
        statementTimeoutMs: 60_000,
        lockTimeoutMs: 10_000,
        idleInTransactionTimeoutMs: 60_000,
        acquireTimeoutMs: 10_000,
        preparedStatements: true,
      },
      redis: {
        host: '127.0.0.1',
        port: 6380,
        password: undefined,
        db: 2,
        reconnectMaxDelayMs: 2_000,
        allowEviction: false,
      },
      queues: { prefix: 'staging', jobAttempts: 7, jobBackoffMs: 1_000, chunkWindow: 16 },
    });
    expect(appOptions(loadConfig(BaseConfig, { REDIS_PASSWORD: 'secret' })).redis.password).toBe('secret');
  });

  it('adds what a stage worker needs: concurrency, locks, recovery and its health listener', () => {
    const config = loadConfig(WorkerConfig, {
      WORKER_CONCURRENCY: '2',
      QUEUE_LOCK_DURATION_MS: '5000',
      HEALTH_PORT: '0',
    });

    expect(workerOptions(config)).toMatchObject({
      concurrency: 2,
      jobTimeoutMs: 600_000,
      locks: { lockDurationMs: 5_000, stalledIntervalMs: 15_000, maxStalledCount: 5 },
      recovery: { staleAfterMs: 120_000, intervalMs: 60_000 },
      health: { port: 0, host: '0.0.0.0' },
      queues: { prefix: 'dataproc' },
    });
  });

  it('gives the LLM client its limits under the deployment prefix, and the provider LLM_PROVIDER names', () => {
    const config = loadConfig(LlmWorkerConfig, { QUEUE_PREFIX: 'p1', LLM_RATE_LIMIT_RPM: '60', SIM_LLM_RPM: '90' });

    expect(llmOptions(config)).toEqual({
      client: {
        keyPrefix: 'p1:llm',
        requestsPerMinute: 60,
        tokensPerMinute: 2_000_000,
        maxConcurrency: 16,
        cacheTtlSeconds: 86_400,
        cacheRedisUrl: undefined,
        cacheMaxEntries: 50_000,
        cacheMaxEntryBytes: 8_192,
        timeoutMs: 15_000,
        baseDelayMs: 250,
        maxDelayMs: 10_000,
        breakerThreshold: 5,
        outageMaxMs: 3_600_000,
      },
      provider: {
        kind: 'simulator',
        seed: 42,
        windowKey: 'p1:llm:simulated-provider-window',
        latencyMs: { min: 20, max: 120 },
        failureRate: 0.02,
        rejectRate: 0,
        requestsPerMinute: 90,
      },
    });
  });

  it("maps LOG_LEVEL to pino's level names and takes LOG_FORMAT", () => {
    expect(loggingOptions(loadConfig(BaseConfig, {}))).toEqual({ level: 'info', format: 'json' });
    expect(loggingOptions(loadConfig(BaseConfig, { LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty' }))).toEqual({
      level: 'debug',
      format: 'pretty',
    });
    expect(() => loadConfig(BaseConfig, { LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
