import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The outbox: one side effect of a task to deliver (an output, a notification), with its delivery state. */
@Entity({ name: 'deliveries' })
export class DeliveryEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'task_id', type: 'uuid' }) taskId: string;
  /** Unique per task, so writing a task's deliveries twice stores them once. */
  @Column({ type: 'varchar', length: 64 }) key: string;
  @Column({ type: 'varchar', length: 32 }) kind: string;
  @Column({ type: 'jsonb' }) spec: unknown;
  @Column({ type: 'varchar', length: 16 }) status: string;
  @Column({ type: 'int' }) attempts: number;
  @Column({ name: 'next_attempt_at', type: 'timestamptz' }) nextAttemptAt: Date;
  @Column({ name: 'lease_until', type: 'timestamptz', nullable: true }) leaseUntil: Date | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt: Date | null;
}
