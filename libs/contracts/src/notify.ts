import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsObject, IsString, MaxLength, MinLength, ValidateBy, ValidateNested } from 'class-validator';

export const WEBHOOK_RULES = { urlLength: 2048, secretMinLength: 16, secretMaxLength: 256 } as const;

/** What a view shows instead of a webhook's secret: it is never given back. */
export const HIDDEN_SECRET = '(hidden)';

/** What a receiver is told about; a task's own end, or its batch's once every task of it has ended. */
export enum NotificationEvent {
  TASK_COMPLETED = 'task.completed',
  TASK_FAILED = 'task.failed',
  TASK_CANCELLED = 'task.cancelled',
  BATCH_COMPLETED = 'batch.completed',
}

/** The outbox delivery kind and key of a notification (one per task or batch). */
export const NOTIFY_DELIVERY = { kind: 'notify.webhook', key: 'notify' } as const;

/** A notification as the outbox holds it: what happened and where to say it (the secret stays in the spec). */
export interface NotificationSpec {
  event: NotificationEvent;
  url: string;
}

export interface NotifySpec {
  webhook: { url: string; secret: string };
}

export class WebhookTargetDto {
  @ApiProperty({
    example: 'https://hooks.example.com/dataproc',
    maxLength: WEBHOOK_RULES.urlLength,
    description:
      'http(s) URL the event is POSTed to; private and loopback hosts only if OUTBOUND_ALLOWED_HOSTS lists them',
  })
  @IsDefined()
  @ValidateBy({
    name: 'isHttpUrl',
    validator: {
      validate: isHttpUrl,
      defaultMessage: () => `url must be an http or https URL of at most ${WEBHOOK_RULES.urlLength} characters`,
    },
  })
  url: string;

  @ApiProperty({
    minLength: WEBHOOK_RULES.secretMinLength,
    maxLength: WEBHOOK_RULES.secretMaxLength,
    description: `Key of the X-Signature HMAC (sha256=<hex of HMAC-SHA256 of the raw body>); never shown back (GET shows "${HIDDEN_SECRET}")`,
  })
  @IsString()
  @MinLength(WEBHOOK_RULES.secretMinLength)
  @MaxLength(WEBHOOK_RULES.secretMaxLength)
  secret: string;
}

export class NotifyDto {
  @ApiProperty({ type: WebhookTargetDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => WebhookTargetDto)
  webhook: WebhookTargetDto;
}

export class NotificationViewDto {
  @ApiProperty({ enum: NotificationEvent, nullable: true, description: 'null until the task (or batch) ends' })
  event: NotificationEvent | null;
  @ApiProperty() url: string;
  @ApiProperty({
    enum: ['waiting', 'pending', 'delivering', 'delivered', 'failed'],
    description:
      'waiting: not ended yet; pending: queued or waiting for its next attempt (backoff, up to NOTIFY_RETRY_WINDOW_MS); failed: given up',
  })
  status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status of the last answer, if any' })
  last_status: number | null;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'When the next attempt is due' })
  next_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: String }) delivered_at: string | null;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > WEBHOOK_RULES.urlLength) return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
