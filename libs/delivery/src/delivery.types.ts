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
  /** What the delivery is about: a task, or (a batch's notification) a batch; exactly one is set. */
  taskId: string | null;
  batchId: string | null;
  /** Picks the handler. */
  kind: string;
  spec: Spec;
  /** Attempts made so far, this one included once claimed. */
  attempts: number;
  /** When it was decided; a kind may give up retrying some time after it (DeliveryRetry.giveUpAfterMs). */
  createdAt: Date;
}

/** What an attempt learnt from the receiver, kept on the delivery. */
export interface DeliveryReceipt {
  /** The HTTP status of the answer, where there was one. */
  httpStatus?: number;
}

export interface DeliveryStore {
  /**
   * Takes up to `limit` deliveries that are due (pending and past their next attempt, or claimed by a
   * dispatcher whose lease ran out), counts an attempt on each and leases them for `leaseMs`.
   */
  claimDue(limit: number, leaseMs: number): Promise<Delivery[]>;
  markDelivered(id: string, receipt: DeliveryReceipt): Promise<void>;
  /** Another attempt at `retryAt`, or none (`null`): the delivery has failed for good. */
  markAttemptFailed(id: string, error: string, retryAt: Date | null, receipt: DeliveryReceipt): Promise<void>;
}

/** A failed attempt; `retryable: false` ends the delivery at once (a 4xx, a refused recipient). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; httpStatus?: number },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
    this.httpStatus = options?.httpStatus;
  }

  /** The receiver's HTTP status, when it answered. */
  readonly httpStatus: number | undefined;
}

export type DeliveryHandler = (delivery: Delivery, signal: AbortSignal) => Promise<DeliveryReceipt | void>;

/** How often and for how long a delivery is retried. */
export interface DeliveryRetry {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No attempt is scheduled later than this long after the delivery was decided. */
  giveUpAfterMs?: number;
}

export interface DeliveryPolicy extends DeliveryRetry {
  /** Kinds retried otherwise than the default above (notifications: for a day). */
  retryByKind?: Readonly<Record<string, DeliveryRetry>>;
  /** Longest one attempt may take; also how long a claim lasts before another dispatcher may retry it. */
  attemptTimeoutMs: number;
  pollIntervalMs: number;
  /** Deliveries attempted at once by one dispatcher. */
  batchSize: number;
}
