import { backoffDelay, describeError, timeoutSignal } from '@app/common';
import type { Delivery, DeliveryHandler, DeliveryPolicy, DeliveryStore } from './delivery.types';
import { DeliveryError } from './delivery.types';

export interface DeliveryLogger {
  log(message: string): void;
  warn(message: string): void;
}

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
    try {
      if (!handler) throw new DeliveryError(`no handler for deliveries of kind ${delivery.kind}`, false);
      await handler(delivery, timeoutSignal(this.stopped.signal, this.policy.attemptTimeoutMs));
    } catch (error) {
      await this.failed(delivery, error);
      return;
    }
    await this.store.markDelivered(delivery.id);
    this.logger.log(`delivery ${delivery.id} (${delivery.kind}, task ${delivery.taskId}) delivered`);
  }

  private async failed(delivery: Delivery, error: unknown): Promise<void> {
    // Interrupted by shutdown: the lease runs out and another dispatcher claims the delivery again.
    if (this.stopped.signal.aborted) return;
    const retryable = error instanceof DeliveryError ? error.retryable : true;
    const message = error instanceof DeliveryError ? error.message : describeError(error);
    const final = !retryable || delivery.attempts >= this.policy.maxAttempts;
    const delayMs = Math.max(
      backoffDelay(delivery.attempts, this.policy, this.random),
      error instanceof DeliveryError ? (error.retryAfterMs ?? 0) : 0,
    );
    await this.store.markAttemptFailed(delivery.id, message, final ? null : new Date(Date.now() + delayMs));
    this.logger.warn(
      `delivery ${delivery.id} (${delivery.kind}, task ${delivery.taskId}) attempt ${delivery.attempts} failed: ${message}; ` +
        (final ? 'giving up' : `retrying in ${Math.round(delayMs)} ms`),
    );
  }
}
