import type { BaseConfig, LlmWorkerConfig, WorkerConfig } from './base.config';

/**
 * The settings grouped by what they configure, as the libs take them. Environment names end here: a
 * lib receives these objects and never sees a variable name, and every app builds them with the same
 * functions (appOptions, workerOptions, llmOptions) from its validated config.
 */

export interface DatabaseOptions {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
  poolSize: number;
  /** Postgres deadlines in ms (0: none): statement_timeout, lock_timeout, idle_in_transaction_session_timeout. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
  /** Longest wait for a pooled connection. */
  acquireTimeoutMs: number;
  /** Parameterised statements are prepared once per connection (DATABASE_PREPARED_STATEMENTS). */
  preparedStatements: boolean;
}

export interface RedisOptions {
  host: string;
  port: number;
  password: string | undefined;
  db: number;
  /** Longest pause between two reconnection attempts (every connection retries forever). */
  reconnectMaxDelayMs: number;
  /** Tests only: accept a Redis whose maxmemory-policy may evict keys. */
  allowEviction: boolean;
}

export interface QueueOptions {
  /** Prefix of every Redis key of the deployment (queues, limiter, cache). */
  prefix: string;
  /** Set by the producer of a job: attempts of a stage job that throws, with exponential backoff. */
  jobAttempts: number;
  jobBackoffMs: number;
  /** Chunks of one task queued at once; each finished chunk queues the next (fairness between tasks). */
  chunkWindow: number;
}

/** Lock settings of the apps that process jobs; producers keep Bull's defaults. */
export interface QueueLockOptions {
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export interface RecoveryOptions {
  staleAfterMs: number;
  intervalMs: number;
}

export interface TimeLimitOptions {
  /** How often running tasks are checked against their soft and hard deadlines. */
  sweepIntervalMs: number;
}

export interface ListenerOptions {
  port: number;
  host: string;
}

/** Pino's names of the levels LOG_LEVEL offers. */
export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface LoggingOptions {
  level: LogLevelName;
  format: 'json' | 'pretty';
}

/** What every app is made of: logging, Postgres, Redis and the queues. */
export interface AppOptions {
  logging: LoggingOptions;
  database: DatabaseOptions;
  redis: RedisOptions;
  queues: QueueOptions;
}

/** A stage worker app: the above, plus how it takes jobs, recovers lost work and serves its probes. */
export interface WorkerOptions extends AppOptions {
  /** Jobs this replica runs at once. */
  concurrency: number;
  /** Time limit of one job's work (aborted through its signal), then Bull retries it. */
  jobTimeoutMs: number;
  locks: QueueLockOptions;
  recovery: RecoveryOptions;
  timeLimits: TimeLimitOptions;
  health: ListenerOptions;
}

export interface LlmClientOptions {
  /** Prefix of the limiter's and the cache's Redis keys, shared by every replica. */
  keyPrefix: string;
  requestsPerMinute: number;
  tokensPerMinute: number;
  /** Calls in flight in this process, retries included. */
  maxConcurrency: number;
  cacheTtlSeconds: number;
  /** The cache's own Redis; undefined: the queue Redis (the budget below bounds it there). */
  cacheRedisUrl: string | undefined;
  cacheMaxEntries: number;
  cacheMaxEntryBytes: number;
  /** Limit of one provider call; a call that runs out of time is retried. */
  timeoutMs: number;
  /** Backoff while the provider is unavailable; also the circuit breaker's open period, doubling per failed probe. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Failures in a row, across replicas, that open the shared circuit breaker. */
  breakerThreshold: number;
  /** How long the provider may stay unavailable before the tasks waiting for it fail. */
  outageMaxMs: number;
}

export interface SimulatedLlmOptions {
  kind: 'simulator';
  seed: number;
  /** Where the simulated provider counts its own per-minute limit, shared by every replica. */
  windowKey: string;
  latencyMs: { min: number; max: number };
  failureRate: number;
  rejectRate: number;
  requestsPerMinute: number;
}

export interface OpenAiLlmOptions {
  kind: 'openai';
  baseUrl: string;
  apiKey: string;
  organization: string | undefined;
  /** Ask for a JSON object (response_format) on analysis calls. */
  jsonMode: boolean;
}

/** The provider LLM_PROVIDER names, with its settings. */
export type LlmProviderOptions = SimulatedLlmOptions | OpenAiLlmOptions;

export interface LlmOptions {
  client: LlmClientOptions;
  provider: LlmProviderOptions;
}

/** LOG_LEVEL keeps Nest's names (`log` is pino's `info`). */
const PINO_LEVELS: Record<string, LogLevelName> = { debug: 'debug', log: 'info', warn: 'warn', error: 'error' };

export function loggingOptions(config: BaseConfig): LoggingOptions {
  return { level: PINO_LEVELS[config.LOG_LEVEL] ?? 'info', format: config.LOG_FORMAT === 'pretty' ? 'pretty' : 'json' };
}

export function appOptions(config: BaseConfig): AppOptions {
  return {
    logging: loggingOptions(config),
    database: {
      host: config.DATABASE_HOST,
      port: config.DATABASE_PORT,
      username: config.DATABASE_USER,
      password: config.DATABASE_PASSWORD,
      database: config.DATABASE_NAME,
      poolSize: config.DATABASE_POOL_SIZE,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
      lockTimeoutMs: config.DATABASE_LOCK_TIMEOUT_MS,
      idleInTransactionTimeoutMs: config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
      acquireTimeoutMs: config.DATABASE_ACQUIRE_TIMEOUT_MS,
      preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
    },
    redis: {
      host: config.REDIS_HOST,
      port: config.REDIS_PORT,
      password: config.REDIS_PASSWORD || undefined,
      db: config.REDIS_DB,
      reconnectMaxDelayMs: config.REDIS_RECONNECT_MAX_DELAY_MS,
      allowEviction: config.REDIS_ALLOW_EVICTION,
    },
    queues: {
      prefix: config.QUEUE_PREFIX,
      jobAttempts: config.QUEUE_JOB_ATTEMPTS,
      jobBackoffMs: config.QUEUE_JOB_BACKOFF_MS,
      chunkWindow: config.QUEUE_CHUNK_WINDOW,
    },
  };
}

export function workerOptions(config: WorkerConfig): WorkerOptions {
  return {
    ...appOptions(config),
    concurrency: config.WORKER_CONCURRENCY,
    jobTimeoutMs: config.QUEUE_JOB_TIMEOUT_MS,
    locks: {
      lockDurationMs: config.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: config.QUEUE_STALLED_INTERVAL_MS,
      maxStalledCount: config.QUEUE_MAX_STALLED_COUNT,
    },
    recovery: { staleAfterMs: config.RECOVERY_STALE_AFTER_MS, intervalMs: config.RECOVERY_INTERVAL_MS },
    timeLimits: { sweepIntervalMs: config.TASK_LIMIT_SWEEP_INTERVAL_MS },
    health: { port: config.HEALTH_PORT, host: config.HEALTH_HOST },
  };
}

export function llmOptions(config: LlmWorkerConfig): LlmOptions {
  const keys = `${config.QUEUE_PREFIX}:llm`;
  return {
    client: {
      keyPrefix: keys,
      requestsPerMinute: config.LLM_RATE_LIMIT_RPM,
      tokensPerMinute: config.LLM_RATE_LIMIT_TPM,
      maxConcurrency: config.LLM_MAX_CONCURRENCY,
      cacheTtlSeconds: config.LLM_CACHE_TTL_SECONDS,
      cacheRedisUrl: config.CACHE_REDIS_URL || undefined,
      cacheMaxEntries: config.LLM_CACHE_MAX_ENTRIES,
      cacheMaxEntryBytes: config.LLM_CACHE_MAX_ENTRY_BYTES,
      timeoutMs: config.LLM_TIMEOUT_MS,
      breakerThreshold: config.LLM_BREAKER_THRESHOLD,
      outageMaxMs: config.LLM_OUTAGE_MAX_MS,
      baseDelayMs: config.LLM_BACKOFF_BASE_MS,
      maxDelayMs: config.LLM_BACKOFF_MAX_MS,
    },
    provider: llmProviderOptions(config, keys),
  };
}

function llmProviderOptions(config: LlmWorkerConfig, keys: string): LlmProviderOptions {
  switch (config.LLM_PROVIDER) {
    case 'simulator':
      return {
        kind: 'simulator',
        seed: config.SIMULATION_SEED,
        windowKey: `${keys}:simulated-provider-window`,
        latencyMs: { min: config.SIM_LLM_LATENCY_MIN_MS, max: config.SIM_LLM_LATENCY_MAX_MS },
        failureRate: config.SIM_LLM_FAILURE_RATE,
        rejectRate: config.SIM_LLM_REJECT_RATE,
        requestsPerMinute: config.SIM_LLM_RPM,
      };
    case 'openai':
      return {
        kind: 'openai',
        baseUrl: config.LLM_BASE_URL,
        apiKey: config.LLM_API_KEY,
        organization: config.LLM_ORGANIZATION || undefined,
        jsonMode: config.LLM_JSON_MODE,
      };
  }
}
