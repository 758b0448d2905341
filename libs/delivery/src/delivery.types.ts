/**
 * Side effects that leave the service (webhook posts, e-mails) go through an outbox: a row written in
 * the transaction that decides them, delivered afterwards with retries, each attempt recorded on the
 * row. These are the shapes the dispatcher and its store agree on.
 */

export enum DeliveryStatus {
  PENDING = 'pending',
  DELIVERING = 'delivering',
  DELIVERED = 'delivered',
  FAILED = 'failed',
}

export interface Delivery<Spec = unknown> {
  /** Also the event id receivers deduplicate on: a delivery may arrive more than once. */
  id: string;
  taskId: string;
  /** Picks the handler. */
  kind: string;
  spec: Spec;
  /** Attempts made so far, this one included once claimed. */
  attempts: number;
}

export interface DeliveryStore {
  /**
   * Takes up to `limit` deliveries that are due (pending and past their next attempt, or claimed by a
   * dispatcher whose lease ran out), counts an attempt on each and leases them for `leaseMs`.
   */
  claimDue(limit: number, leaseMs: number): Promise<Delivery[]>;
  markDelivered(id: string): Promise<void>;
  /** Another attempt at `retryAt`, or none (`null`): the delivery has failed for good. */
  markAttemptFailed(id: string, error: string, retryAt: Date | null): Promise<void>;
}

/** A failed attempt; `retryable: false` ends the delivery at once (a 4xx, a refused recipient). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
  }
}

export type DeliveryHandler = (delivery: Delivery, signal: AbortSignal) => Promise<void>;

export interface DeliveryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest one attempt may take; also how long a claim lasts before another dispatcher may retry it. */
  attemptTimeoutMs: number;
  pollIntervalMs: number;
  /** Deliveries attempted at once by one dispatcher. */
  batchSize: number;
}
