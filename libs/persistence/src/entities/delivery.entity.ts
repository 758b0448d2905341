import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, Unique } from 'typeorm';
import { DeliveryStatus } from '@app/delivery';
import { BatchEntity } from './batch.entity';
import { TaskEntity } from './task.entity';

/**
 * The outbox: one side effect of a task to deliver (an output, a notification), or of a batch (its
 * notification), with its delivery state. Notifications are written by the tasks_notify_on_end
 * trigger (migration Notifications).
 */
@Entity({ name: 'deliveries' })
@Unique('deliveries_task_key_unique', ['taskId', 'key'])
@Unique('deliveries_batch_key_unique', ['batchId', 'key'])
@Check('deliveries_subject_check', '(task_id IS NULL) <> (batch_id IS NULL)')
@Check('deliveries_status_check', `status IN (${quoted(Object.values(DeliveryStatus))})`)
@Index('deliveries_due_idx', ['nextAttemptAt'], {
  where: `status IN (${quoted([DeliveryStatus.PENDING, DeliveryStatus.DELIVERING])})`,
})
export class DeliveryEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'task_id', type: 'uuid', nullable: true })
  @ForeignKey(() => TaskEntity, { name: 'deliveries_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string | null;
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  @ForeignKey(() => BatchEntity, { name: 'deliveries_batch_id_fkey', onDelete: 'CASCADE' })
  batchId: string | null;
  /** Unique per task (or batch), so writing its deliveries twice stores them once. */
  @Column({ type: 'varchar', length: 64 }) key: string;
  @Column({ type: 'varchar', length: 32 }) kind: string;
  @Column({ type: 'jsonb' }) spec: unknown;
  @Column({ type: 'varchar', length: 16, default: DeliveryStatus.PENDING }) status: DeliveryStatus;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' }) nextAttemptAt: Date;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  /** The receiver's HTTP status at the last attempt that got an answer. */
  @Column({ name: 'last_http_status', type: 'int', nullable: true }) lastHttpStatus: number | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
}

function quoted(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(',');
}
