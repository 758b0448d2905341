import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsNotEmpty,
  IsString,
  Matches,
  Max,
  Min,
  Validate,
  ValidateIf,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { parseConnections } from './database-connections';
import { parseHostListEntry } from './host-list';

@ValidatorConstraint({ name: 'connections' })
class ConnectionsConstraint implements ValidatorConstraintInterface {
  private problem = '';

  validate(value: unknown): boolean {
    try {
      parseConnections(String(value));
      return true;
    } catch (error) {
      this.problem = error instanceof Error ? error.message : String(error);
      return false;
    }
  }

  defaultMessage(): string {
    return `DATA_SOURCE_CONNECTIONS ${this.problem}`;
  }
}

/** Comma-separated host names, IP addresses and CIDRs. */
const HOST_LIST = /^\s*([A-Za-z0-9.:_[\]-]+(\/\d{1,3})?\s*(,\s*|$))*$/;

/**
 * OUTBOUND_ALLOWED_HOSTS, checked at start with the reader the collector and the result-generator
 * build their allow-list with (parseHostListEntry): a CIDR's prefix belongs to an IP address and fits
 * its family.
 */
@ValidatorConstraint({ name: 'hostList' })
class HostListConstraint implements ValidatorConstraintInterface {
  private problem = '';

  validate(value: unknown): boolean {
    this.problem = HOST_LIST.test(String(value))
      ? cidrProblem(String(value))
      : 'must be comma-separated host names, addresses or CIDRs';
    return this.problem === '';
  }

  defaultMessage(): string {
    return `OUTBOUND_ALLOWED_HOSTS ${this.problem}`;
  }
}

function cidrProblem(list: string): string {
  for (const entry of list.split(',')) {
    const parsed = parseHostListEntry(entry);
    if (parsed && 'problem' in parsed) return `has "${entry.trim()}": ${parsed.problem}`;
  }
  return '';
}

/** What every app needs: Postgres, Redis, queue naming, the simulators' seed and where sources come from. */
export class BaseConfig {
  @IsIn(['debug', 'log', 'warn', 'error'])
  LOG_LEVEL = 'log';
  /** JSON lines for machines (the default, `npm start` too); `pretty` for reading by eye. */
  @IsIn(['json', 'pretty'])
  LOG_FORMAT = 'json';

  @IsString() @IsNotEmpty() DATABASE_HOST = '127.0.0.1';
  @IsInt() @Min(1) @Max(65535) DATABASE_PORT = 5432;
  @IsString() @IsNotEmpty() DATABASE_USER = 'postgres';
  @IsString() DATABASE_PASSWORD = 'postgres';
  @IsString() @IsNotEmpty() DATABASE_NAME = 'dataproc';
  @IsInt() @Min(1) @Max(200) DATABASE_POOL_SIZE = 10;
  /**
   * Postgres deadlines (0 turns one off): a statement, a wait for a lock, a transaction left idle. A
   * worker cut off while it holds a task's row lock then blocks the task's other jobs for seconds,
   * not for as long as TCP takes to notice; the job that waited fails and Bull retries it.
   */
  @IsInt() @Min(0) @Max(3_600_000) DATABASE_STATEMENT_TIMEOUT_MS = 60_000;
  @IsInt() @Min(0) @Max(3_600_000) DATABASE_LOCK_TIMEOUT_MS = 10_000;
  @IsInt() @Min(0) @Max(3_600_000) DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
  /** How long a query waits for a pooled (or new) connection before it fails. */
  @IsInt() @Min(100) @Max(600_000) DATABASE_ACQUIRE_TIMEOUT_MS = 10_000;
  /** Named prepared statements per connection; off behind a pooler in transaction mode. */
  @IsBoolean() DATABASE_PREPARED_STATEMENTS = true;

  @IsString() @IsNotEmpty() REDIS_HOST = '127.0.0.1';
  @IsInt() @Min(1) @Max(65535) REDIS_PORT = 6379;
  @IsString() REDIS_PASSWORD = '';
  @IsInt() @Min(0) @Max(15) REDIS_DB = 0;
  /** Longest pause between two reconnection attempts; every Redis connection retries forever. */
  @IsInt() @Min(10) @Max(60_000) REDIS_RECONNECT_MAX_DELAY_MS = 2_000;
  /** Tests only: start even when Redis may evict keys (the queues need maxmemory-policy noeviction). */
  @IsBoolean() REDIS_ALLOW_EVICTION = false;

  /** Prefix of every Bull key; separate deployments (or test runs) on one Redis use their own. */
  @Matches(/^[A-Za-z0-9_{}:-]{1,64}$/, { message: 'QUEUE_PREFIX must be 1-64 of A-Z a-z 0-9 _ { } : -' })
  QUEUE_PREFIX = 'dataproc';

  /** Set by the producer of a job: attempts of a stage job when it throws (e.g. Postgres down), with exponential backoff. */
  @IsInt() @Min(1) @Max(100) QUEUE_JOB_ATTEMPTS = 5;
  @IsInt() @Min(10) @Max(600_000) QUEUE_JOB_BACKOFF_MS = 1_000;
  /**
   * Chunks of one task on the evaluate queue at once; each finished chunk queues the next. A task
   * submitted behind a huge one then waits for at most this many of its chunks, not for all of them.
   * A lone task uses at most this many evaluator slots: keep it at or above evaluator replicas ×
   * WORKER_CONCURRENCY when single tasks should use the whole fleet.
   */
  @IsInt() @Min(1) @Max(100_000) QUEUE_CHUNK_WINDOW = 16;

  @IsInt() SIMULATION_SEED = 42;

  /**
   * simulated: every api and database source is served by the data-source simulator (url and
   * connection are labels); live: they are fetched for real, unless a source carries simulation knobs.
   * The gateway checks submitted sources against it, the collector reads them accordingly.
   */
  @IsIn(['simulated', 'live']) DATA_SOURCE_MODE: 'simulated' | 'live' = 'simulated';
  /** JSON object: connection name → postgres://, mysql:// or mariadb:// URL. Requests name a connection. */
  @Validate(ConnectionsConstraint) DATA_SOURCE_CONNECTIONS = '';
  /**
   * Hosts, IP addresses and CIDRs that sources may reach although they are loopback, private,
   * link-local or metadata addresses; comma-separated.
   */
  @Validate(HostListConstraint) OUTBOUND_ALLOWED_HOSTS = '';
}

/** Settings of the three stage workers (collector, evaluator, result-generator). */
export class WorkerConfig extends BaseConfig {
  /**
   * Listener of /health/live, /health/ready and /metrics. Each worker app overrides the default with
   * its own, so `npm start` runs them side by side; 0 takes any free port (it is logged at start).
   */
  @IsInt() @Min(0) @Max(65535) HEALTH_PORT = 3001;
  @IsString() @IsNotEmpty() HEALTH_HOST = '0.0.0.0';

  /** Jobs this replica runs at once. */
  @IsInt() @Min(1) @Max(256) WORKER_CONCURRENCY = 4;
  /** Time limit of one stage job: its work is aborted and the job fails, so Bull retries it. */
  @IsInt() @Min(1_000) @Max(86_400_000) QUEUE_JOB_TIMEOUT_MS = 600_000;

  /** Bull lock of an active job; a killed worker's job is taken over after at most lock + stalled interval. */
  @IsInt() @Min(1000) @Max(600_000) QUEUE_LOCK_DURATION_MS = 30_000;
  @IsInt() @Min(500) @Max(600_000) QUEUE_STALLED_INTERVAL_MS = 15_000;
  /** Stalls (crashes mid-job) a job survives before it is failed. */
  @IsInt() @Min(1) @Max(100) QUEUE_MAX_STALLED_COUNT = 5;

  /** Running tasks whose record has not moved for this long are re-queued at start-up and periodically. */
  @IsInt() @Min(1_000) @Max(86_400_000) RECOVERY_STALE_AFTER_MS = 120_000;
  @IsInt() @Min(1_000) @Max(86_400_000) RECOVERY_INTERVAL_MS = 60_000;
  /** How often running tasks are checked against their time limits (so a limit holds to within this). */
  @IsInt() @Min(100) @Max(600_000) TASK_LIMIT_SWEEP_INTERVAL_MS = 1_000;
}

/** Settings of the apps that call the LLM (evaluator, result-generator). */
export class LlmWorkerConfig extends WorkerConfig {
  /** Which provider answers the LLM calls (its settings follow); see llmOptions. simulator: in process;
   * openai: any OpenAI-compatible chat-completions API (LLM_BASE_URL, LLM_API_KEY). */
  @IsIn(['simulator', 'openai']) LLM_PROVIDER: 'simulator' | 'openai' = 'simulator';
  @Matches(/^https?:\/\/\S+$/, { message: 'LLM_BASE_URL must be an http(s) URL' })
  LLM_BASE_URL = 'https://api.openai.com/v1';
  @ValidateIf((config: LlmWorkerConfig) => config.LLM_PROVIDER === 'openai')
  @IsNotEmpty({ message: 'LLM_API_KEY is required when LLM_PROVIDER=openai' })
  LLM_API_KEY = '';
  @IsString() LLM_ORGANIZATION = '';
  /** Ask for a JSON object (response_format) on analysis calls; turn off for models that lack JSON mode. */
  @IsBoolean() LLM_JSON_MODE = true;
  /** Shared by every replica: the limiter's budgets, below the provider's own limits. */
  @IsInt() @Min(1) @Max(1_000_000) LLM_RATE_LIMIT_RPM = 2400;
  @IsInt() @Min(1) @Max(1_000_000_000) LLM_RATE_LIMIT_TPM = 2_000_000;
  @IsInt() @Min(1) @Max(1024) LLM_MAX_CONCURRENCY = 16;
  @IsInt() @Min(100) @Max(600_000) LLM_TIMEOUT_MS = 15_000;
  /** Backoff between attempts while the provider is unavailable; also the circuit breaker's open period. */
  @IsInt() @Min(1) @Max(60_000) LLM_BACKOFF_BASE_MS = 250;
  @IsInt() @Min(1) @Max(600_000) LLM_BACKOFF_MAX_MS = 10_000;
  /** Failures in a row (across replicas) that open the shared circuit breaker. */
  @IsInt() @Min(1) @Max(1000) LLM_BREAKER_THRESHOLD = 5;
  /** How long the provider may stay unavailable before the tasks waiting for it fail. */
  @IsInt() @Min(1000) @Max(7 * 86_400_000) LLM_OUTAGE_MAX_MS = 3_600_000;
  @IsInt() @Min(1) @Max(30 * 86_400) LLM_CACHE_TTL_SECONDS = 86_400;
  /**
   * The response cache's own Redis (redis://[:password@]host:port[/db]), bounded by its maxmemory and
   * an evicting policy such as allkeys-lru; empty: the queue Redis, which never evicts, so the cache
   * keeps to its budget below there. See docs/adr (response cache).
   */
  @Matches(/^(rediss?:\/\/\S+)?$/, { message: 'CACHE_REDIS_URL must be empty or a redis:// or rediss:// URL' })
  CACHE_REDIS_URL = '';
  /** Entries the cache keeps at most (the oldest go first), and the longest answer it keeps, in bytes. */
  @IsInt() @Min(1) @Max(10_000_000) LLM_CACHE_MAX_ENTRIES = 50_000;
  @IsInt() @Min(256) @Max(1_048_576) LLM_CACHE_MAX_ENTRY_BYTES = 8_192;

  @IsInt() @Min(0) @Max(600_000) SIM_LLM_LATENCY_MIN_MS = 20;
  @IsInt() @Min(0) @Max(600_000) SIM_LLM_LATENCY_MAX_MS = 120;
  @IsNumber() @Min(0) @Max(1) SIM_LLM_FAILURE_RATE = 0.02;
  @IsNumber() @Min(0) @Max(1) SIM_LLM_REJECT_RATE = 0;
  @IsInt() @Min(1) @Max(1_000_000) SIM_LLM_RPM = 3000;
}
