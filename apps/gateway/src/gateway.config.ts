import { IsBoolean, IsInt, IsString, Max, Min, ValidateBy } from 'class-validator';
import type { AppOptions, ListenerOptions } from '@app/config';
import { appOptions, BaseConfig, parseConnections } from '@app/config';
import type { EffectiveLimits } from '@app/contracts';
import { BATCH_HARD_CAP, MAX_TIME_LIMIT_S } from '@app/contracts';
import type { AdminCredentials } from './admin/basic-auth';
import { ApiKeys } from './auth/api-keys';
import type { RateLimitOptions } from './auth/rate-limit';
import type { AdmissionLimits } from './tasks/admission';
import type { SourceRulesSettings } from './tasks/source-rules';

export class GatewayConfig extends BaseConfig {
  @IsInt() @Min(1) @Max(65535) PORT = 3000;
  @IsString() HOST = '0.0.0.0';
  /** Largest accepted request body; larger ones get 413. */
  @IsInt() @Min(1024) @Max(100 * 1024 * 1024) BODY_LIMIT_BYTES = 1024 * 1024;

  /** Comma-separated `name:key` or `name:<sha256 hex of the key>`; empty: the API is open. */
  @IsString() API_KEYS = '';
  /** Names (from API_KEYS) of the keys that see and act on every task. */
  @IsString() ADMIN_API_KEYS = '';
  /** Requests per key per window, across all gateway replicas (only with API_KEYS). */
  @IsInt() @Min(1) @Max(1_000_000) RATE_LIMIT_MAX = 600;
  @IsInt() @Min(1000) @Max(3_600_000) RATE_LIMIT_WINDOW_MS = 60_000;
  /** Pending plus running tasks one key may have; 0: no cap (only with API_KEYS). */
  @IsInt() @Min(0) @Max(1_000_000) MAX_ACTIVE_TASKS_PER_KEY = 100;

  /** Login of the queue dashboard (/admin/queues); without both, the dashboard is off. */
  @IsString() ADMIN_USER = '';
  @IsString() ADMIN_PASSWORD = '';
  /** The dashboard shows the queues but cannot retry, remove or pause. */
  @IsBoolean() ADMIN_READ_ONLY = false;

  /** Admission: records one task may declare, records × dimensions, and active tasks at once (then 429). */
  @IsInt() @Min(1) @Max(100_000_000) MAX_RECORDS_PER_TASK = 100_000;
  @IsInt() @Min(1) @Max(1_000_000_000) MAX_SCORES_PER_TASK = 1_000_000;
  @IsInt() @Min(1) @Max(10_000_000) MAX_ACTIVE_TASKS = 10_000;

  /** Time limits of a task that sets none (seconds from its start); the soft one may not exceed the hard one. */
  @IsInt()
  @Min(1)
  @Max(MAX_TIME_LIMIT_S)
  @ValidateBy({
    name: 'notAboveHardLimit',
    validator: {
      validate: (soft: unknown, args) =>
        typeof soft === 'number' && soft <= (args?.object as GatewayConfig).TASK_HARD_TIME_LIMIT_S,
      defaultMessage: () => 'TASK_SOFT_TIME_LIMIT_S must not exceed TASK_HARD_TIME_LIMIT_S',
    },
  })
  TASK_SOFT_TIME_LIMIT_S = 3_300;
  @IsInt() @Min(1) @Max(MAX_TIME_LIMIT_S) TASK_HARD_TIME_LIMIT_S = 3_600;
  /** Live streams: a heartbeat this often, and the task re-read this often besides on every broadcast. */
  @IsInt() @Min(100) @Max(300_000) SSE_HEARTBEAT_MS = 15_000;
  @IsInt() @Min(100) @Max(300_000) SSE_POLL_MS = 5_000;
  /** Tasks one POST /batches may hold; more get 413. */
  @IsInt() @Min(1) @Max(BATCH_HARD_CAP) BATCH_MAX_TASKS = 1_000;
}

export interface AccessOptions {
  keys: ApiKeys;
  rateLimit: RateLimitOptions;
  /** 0: no cap. */
  maxActiveTasksPerKey: number;
}

export interface GatewayOptions extends AppOptions {
  http: ListenerOptions & { bodyLimitBytes: number };
  access: AccessOptions;
  /** Undefined: the dashboard is off. */
  dashboard: (AdminCredentials & { readOnly: boolean }) | undefined;
  admission: AdmissionLimits;
  /** What the checks of a submitted task's sources need to know. */
  sources: SourceRulesSettings;
  /** Limits of a task that sets none. */
  taskLimits: EffectiveLimits;
  batches: { maxTasks: number };
  stream: { heartbeatMs: number; pollMs: number };
}

export function gatewayOptions(config: GatewayConfig): GatewayOptions {
  return {
    ...appOptions(config),
    http: { port: config.PORT, host: config.HOST, bodyLimitBytes: config.BODY_LIMIT_BYTES },
    access: {
      keys: ApiKeys.parse(config.API_KEYS, config.ADMIN_API_KEYS),
      rateLimit: { max: config.RATE_LIMIT_MAX, windowMs: config.RATE_LIMIT_WINDOW_MS },
      maxActiveTasksPerKey: config.MAX_ACTIVE_TASKS_PER_KEY,
    },
    dashboard:
      config.ADMIN_USER && config.ADMIN_PASSWORD
        ? { user: config.ADMIN_USER, password: config.ADMIN_PASSWORD, readOnly: config.ADMIN_READ_ONLY }
        : undefined,
    admission: {
      maxRecordsPerTask: config.MAX_RECORDS_PER_TASK,
      maxScoresPerTask: config.MAX_SCORES_PER_TASK,
      maxActiveTasks: config.MAX_ACTIVE_TASKS,
    },
    sources: {
      mode: config.DATA_SOURCE_MODE,
      connections: new Set(parseConnections(config.DATA_SOURCE_CONNECTIONS).keys()),
    },
    taskLimits: { softSeconds: config.TASK_SOFT_TIME_LIMIT_S, hardSeconds: config.TASK_HARD_TIME_LIMIT_S },
    batches: { maxTasks: config.BATCH_MAX_TASKS },
    stream: { heartbeatMs: config.SSE_HEARTBEAT_MS, pollMs: config.SSE_POLL_MS },
  };
}
