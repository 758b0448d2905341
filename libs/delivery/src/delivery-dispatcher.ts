import { backoffDelay, describeError, LinkedAbortController } from '@app/common';
import type { Delivery, DeliveryHandler, DeliveryPolicy, DeliveryReceipt, DeliveryStore } from './delivery.types';
import { DeliveryError } from './delivery.types';

export interface DeliveryLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** Told of every attempt's outcome (metrics). */
export type DeliveryObserver = (kind: string, outcome: 'delivered' | 'failed') => void;

/**
 * Delivers the outbox: claims due deliveries, runs each kind's handler under a timeout, and records
 * the outcome: delivered, another attempt after an exponential backoff (or the receiver's
 * retry-after), or failed once the attempts are spent or the error is final. Any number of
 * dispatchers may run; the store's claim keeps each delivery with one of them at a time.
 */
export class DeliveryDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;
  private readonly stopped = new AbortController();

  constructor(
    private readonly store: DeliveryStore,
    private readonly handlers: Readonly<Record<string, DeliveryHandler>>,
    private readonly policy: DeliveryPolicy,
    private readonly logger: DeliveryLogger,
    private readonly observe: DeliveryObserver = () => undefined,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    const loop = () => {
      this.running = this.tick()
        .catch((error: unknown) => {
          this.logger.warn(`delivery sweep failed: ${describeError(error)}`);
          return 0;
        })
        .finally(() => {
          if (!this.stopped.signal.aborted) this.timer = setTimeout(loop, this.policy.pollIntervalMs);
        });
    };
    loop();
  }

  /** Stops polling and aborts attempts in flight (their deliveries are retried after the lease). */
  async stop(): Promise<void> {
    this.stopped.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  /** One sweep: every due delivery it could claim, attempted once. Returns how many. */
  async tick(): Promise<number> {
    const due = await this.store.claimDue(this.policy.batchSize, this.policy.attemptTimeoutMs);
    await Promise.all(due.map((delivery) => this.attempt(delivery)));
    return due.length;
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const handler = this.handlers[delivery.kind];
    let receipt: DeliveryReceipt | void;
    const deadline = new LinkedAbortController([this.stopped.signal], this.policy.attemptTimeoutMs);
    try {
      if (!handler) throw new DeliveryError(`no handler for deliveries of kind ${delivery.kind}`, false);
      receipt = await handler(delivery, deadline.signal);
    } catch (error) {
      await this.failed(delivery, error);
      return;
    } finally {
      deadline.release();
    }
    await this.store.markDelivered(delivery.id, receipt ?? {});
    this.observe(delivery.kind, 'delivered');
    this.logger.log(`delivery ${delivery.id} (${delivery.kind}, ${subject(delivery)}) delivered`);
  }

  private async failed(delivery: Delivery, error: unknown): Promise<void> {
    // Interrupted by shutdown: the lease runs out and another dispatcher claims the delivery again.
    if (this.stopped.signal.aborted) return;
    this.observe(delivery.kind, 'failed');
    const retryable = error instanceof DeliveryError ? error.retryable : true;
    const message = error instanceof DeliveryError ? error.message : describeError(error);
    const retry = this.policy.retryByKind?.[delivery.kind] ?? this.policy;
    const delayMs = Math.max(
      backoffDelay(delivery.attempts, retry, this.random),
      error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0,
    );
    const retryAt = Date.now() + delayMs;
    const final =
      !retryable ||
      delivery.attempts >= retry.maxAttempts ||
      (retry.giveUpAfterMs !== undefined && retryAt > delivery.createdAt.getTime() + retry.giveUpAfterMs);
    await this.store.markAttemptFailed(delivery.id, message, final ? null : new Date(retryAt), {
      httpStatus: error instanceof DeliveryError ? error.httpStatus : undefined,
    });
    this.logger.warn(
      `delivery ${delivery.id} (${delivery.kind}, ${subject(delivery)}) attempt ${delivery.attempts} failed: ${message}; ` +
        (final ? 'giving up' : `retrying in ${Math.round(delayMs)} ms`),
    );
  }
}

function subject(delivery: Delivery): string {
  return delivery.taskId === null ? `batch ${delivery.batchId}` : `task ${delivery.taskId}`;
}
