import { getQueueToken } from '@nestjs/bull';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { publicReason, withDeadline } from '@app/common';
import { QueueName } from '@app/contracts';
import { BroadcastLinks } from '@app/pipeline';
import { REDIS_CLIENT } from '@app/redis';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions } from './observability.options';

/** Each check answers within this, so a probe never hangs on a dependency that does not answer. */
export const CHECK_DEADLINE_MS = 2_000;

type Check = () => Promise<HealthIndicatorResult>;

/**
 * The readiness checks of an app: Postgres, its general Redis connection, and each queue it
 * depends on (the queue's own connection, and its job counts as details).
 */
@Injectable()
export class ReadinessChecks {
  constructor(
    @Inject(OBSERVABILITY_OPTIONS) private readonly options: ObservabilityOptions,
    @Inject(REDIS_CLIENT) private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly db: DataSource,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly broadcasts?: BroadcastLinks,
  ) {}

  all(): Check[] {
    return [
      () => this.probe('postgres', () => this.db.query('SELECT 1').then(() => undefined)),
      () => this.probe('redis', () => this.redis.ping()),
      ...this.options.queues.map((name) => () => this.probe(`queue:${name}`, () => this.queue(name).getJobCounts())),
      ...(this.broadcasts ? [() => this.broadcastsUp(this.broadcasts!)] : []),
    ];
  }

  /** The Redis transport that carries cancels and progress: each of its connections ready. */
  private broadcastsUp(links: BroadcastLinks): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('broadcasts');
    const down = links.down();
    return Promise.resolve(
      down.length === 0 ? indicator.up() : indicator.down({ message: `not connected: ${down.join(', ')}` }),
    );
  }

  queue(name: QueueName): Queue {
    return this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
  }

  private async probe<Key extends string>(key: Key, check: () => Promise<unknown>): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      const answer = await withDeadline(check(), CHECK_DEADLINE_MS);
      return typeof answer === 'object' && answer !== null ? indicator.up({ ...answer }) : indicator.up();
    } catch (error) {
      return indicator.down({ message: publicReason(error) });
    }
  }
}
