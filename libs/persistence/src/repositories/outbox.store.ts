import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Delivery, DeliveryReceipt, DeliveryStore } from '@app/delivery';
import { DeliveryStatus } from '@app/delivery';
import { selectRows } from './sql';

/** A delivery as a task's view shows it. */
export interface DeliveryState {
  key: string;
  kind: string;
  spec: unknown;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
}

const STATE_COLUMNS = `key, kind, spec, status, attempts, last_error AS "lastError", last_http_status AS "lastHttpStatus",
  next_attempt_at AS "nextAttemptAt", delivered_at AS "deliveredAt"`;

/**
 * The predicate of deliveries_due_idx, as a literal: a prepared statement's generic plan cannot match
 * parameters against a partial index's predicate, and without it each claim read every delivery ever
 * made. (The pick is a MATERIALIZED CTE, as in the deadline sweeps of TaskRepository.)
 */
const UNSETTLED = `('${DeliveryStatus.PENDING}', '${DeliveryStatus.DELIVERING}')`;

/** The delivery outbox in Postgres: claims use SKIP LOCKED and a lease, so dispatchers never share a row. */
@Injectable()
export class OutboxStore implements DeliveryStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  claimDue(limit: number, leaseMs: number): Promise<Delivery[]> {
    return selectRows<Delivery>(
      this.db.manager,
      `WITH due AS MATERIALIZED (
         SELECT id AS due_id FROM deliveries
         WHERE status IN ${UNSETTLED}
           AND ((status = $3 AND next_attempt_at <= now()) OR (status = $1 AND lease_until < now()))
         ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE deliveries d SET status = $1, attempts = d.attempts + 1,
         lease_until = now() + make_interval(secs => $2), updated_at = now()
       FROM due WHERE d.id = due_id
       RETURNING d.id, d.task_id AS "taskId", d.batch_id AS "batchId", d.kind, d.spec, d.attempts,
         d.created_at AS "createdAt"`,
      [DeliveryStatus.DELIVERING, leaseMs / 1000, DeliveryStatus.PENDING, limit],
    );
  }

  async markDelivered(id: string, receipt: DeliveryReceipt): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = $2, delivered_at = now(), lease_until = NULL, last_error = NULL,
         last_http_status = $3, updated_at = now()
       WHERE id = $1`,
      [id, DeliveryStatus.DELIVERED, receipt.httpStatus ?? null],
    );
  }

  async markAttemptFailed(id: string, error: string, retryAt: Date | null, receipt: DeliveryReceipt): Promise<void> {
    await this.db.query(
      `UPDATE deliveries SET status = $2, last_error = $3, next_attempt_at = coalesce($4, next_attempt_at),
         last_http_status = $5, lease_until = NULL, updated_at = now()
       WHERE id = $1`,
      [
        id,
        retryAt ? DeliveryStatus.PENDING : DeliveryStatus.FAILED,
        error.slice(0, 2000),
        retryAt,
        receipt.httpStatus ?? null,
      ],
    );
  }

  forTask(taskId: string): Promise<DeliveryState[]> {
    return selectRows<DeliveryState>(
      this.db.manager,
      `SELECT ${STATE_COLUMNS} FROM deliveries WHERE task_id = $1 ORDER BY key`,
      [taskId],
    );
  }

  forBatch(batchId: string): Promise<DeliveryState[]> {
    return selectRows<DeliveryState>(
      this.db.manager,
      `SELECT ${STATE_COLUMNS} FROM deliveries WHERE batch_id = $1 ORDER BY key`,
      [batchId],
    );
  }
}
