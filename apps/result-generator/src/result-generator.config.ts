import { IsInt, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { LlmOptions, WorkerOptions } from '@app/config';
import { llmOptions, LlmWorkerConfig, workerOptions } from '@app/config';
import { NOTIFY_DELIVERY } from '@app/contracts';
import type { DeliveryPolicy } from '@app/delivery';
import { AllowedHosts } from '@app/outbound';

export class ResultGeneratorConfig extends LlmWorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3003;

  /** Dimensions of one task reported at once. */
  @IsInt() @Min(1) @Max(64) GENERATE_DIMENSION_CONCURRENCY = 8;
  /** Passing records listed per dimension in the result (the statistics always cover all of them). */
  @IsInt() @Min(0) @Max(1_000_000) RESULT_MAX_PASSED_RECORDS = 10_000;

  /** Where e-mail outputs go: smtp://user:pass@host:port (smtps:// for TLS); empty: e-mail outputs fail. */
  @Matches(/^(smtps?:\/\/.+)?$/, { message: 'SMTP_URL must be empty or an smtp:// or smtps:// URL' })
  SMTP_URL = '';
  @IsString() @MaxLength(254) SMTP_FROM = 'dataproc@localhost';

  /** Outputs (webhook exports, e-mails) are attempted this often, with exponential backoff between. */
  @IsInt() @Min(1) @Max(100) DELIVERY_MAX_ATTEMPTS = 6;
  @IsInt() @Min(10) @Max(3_600_000) DELIVERY_BACKOFF_BASE_MS = 2_000;
  @IsInt() @Min(10) @Max(86_400_000) DELIVERY_BACKOFF_MAX_MS = 600_000;
  /** One attempt's limit; also how long a claimed delivery waits before another replica may retry it. */
  @IsInt() @Min(100) @Max(3_600_000) DELIVERY_TIMEOUT_MS = 60_000;
  @IsInt() @Min(10) @Max(600_000) DELIVERY_POLL_INTERVAL_MS = 1_000;
  /** Deliveries one replica attempts at once. */
  @IsInt() @Min(1) @Max(256) DELIVERY_CONCURRENCY = 8;

  /**
   * Webhook notifications of a task's or batch's end are retried with exponential backoff and jitter
   * for this long after the end (a day: a receiver down overnight still hears of it), then given up.
   */
  @IsInt() @Min(1_000) @Max(7 * 86_400_000) NOTIFY_RETRY_WINDOW_MS = 86_400_000;
  @IsInt() @Min(10) @Max(3_600_000) NOTIFY_BACKOFF_BASE_MS = 1_000;
  @IsInt() @Min(10) @Max(86_400_000) NOTIFY_BACKOFF_MAX_MS = 3_600_000;
}

/** How the outputs of finished tasks leave: e-mail through SMTP, and the outbox's retry policy. */
export interface OutputsOptions {
  /** Empty: e-mail outputs fail (with that reason). */
  smtpUrl: string;
  smtpFrom: string;
  delivery: DeliveryPolicy;
  /** Where webhooks may go besides public addresses (OUTBOUND_ALLOWED_HOSTS, as for live sources). */
  allowedHosts: AllowedHosts;
}

export interface ResultGeneratorOptions extends WorkerOptions {
  llm: LlmOptions;
  dimensionConcurrency: number;
  maxPassedRecords: number;
  outputs: OutputsOptions;
}

export function resultGeneratorOptions(config: ResultGeneratorConfig): ResultGeneratorOptions {
  return {
    ...workerOptions(config),
    llm: llmOptions(config),
    dimensionConcurrency: config.GENERATE_DIMENSION_CONCURRENCY,
    maxPassedRecords: config.RESULT_MAX_PASSED_RECORDS,
    outputs: {
      smtpUrl: config.SMTP_URL,
      smtpFrom: config.SMTP_FROM,
      delivery: {
        maxAttempts: config.DELIVERY_MAX_ATTEMPTS,
        baseDelayMs: config.DELIVERY_BACKOFF_BASE_MS,
        maxDelayMs: config.DELIVERY_BACKOFF_MAX_MS,
        attemptTimeoutMs: config.DELIVERY_TIMEOUT_MS,
        pollIntervalMs: config.DELIVERY_POLL_INTERVAL_MS,
        batchSize: config.DELIVERY_CONCURRENCY,
        retryByKind: {
          // Bounded by time, not by a count of attempts.
          [NOTIFY_DELIVERY.kind]: {
            maxAttempts: Number.POSITIVE_INFINITY,
            baseDelayMs: config.NOTIFY_BACKOFF_BASE_MS,
            maxDelayMs: config.NOTIFY_BACKOFF_MAX_MS,
            giveUpAfterMs: config.NOTIFY_RETRY_WINDOW_MS,
          },
        },
      },
      allowedHosts: AllowedHosts.parse(config.OUTBOUND_ALLOWED_HOSTS),
    },
  };
}
