import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';
import { RecordEvaluationStatus } from '@app/contracts';
import { TaskEntity } from './task.entity';

/** A collected record; the primary key is what keeps every record in a task exactly once. */
@Entity({ name: 'task_records' })
@Index('task_records_chunk_idx', ['taskId', 'chunk'])
// The failures a task view lists; a small partial index beside the records.
@Index('task_records_failed_idx', ['taskId', 'sourceId', 'position'], {
  where: `status = '${RecordEvaluationStatus.FAILED}'`,
})
// One record per dedupe key in a task: an INSERT ... ON CONFLICT DO NOTHING drops the later duplicates.
@Index('task_records_dedupe_idx', ['taskId', 'dedupeKey'], { unique: true, where: 'dedupe_key IS NOT NULL' })
// A task's records in collection order, page by page (exports, aggregates, answers).
@Index('task_records_order_idx', ['taskId', 'sourceId', 'position'])
export class TaskRecordEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'task_records_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @PrimaryColumn({ name: 'source_id', type: 'varchar', length: 64 }) sourceId: string;
  @PrimaryColumn({ name: 'record_id', type: 'varchar', length: 256 }) recordId: string;
  /** Position within its source, so chunks are cut in the same order on every run. */
  @Column({ type: 'int' }) position: number;
  @Column({ type: 'int', nullable: true }) chunk: number | null;
  @Column({ type: 'text' }) content: string;
  @Column({ type: 'jsonb' }) fields: Record<string, unknown>;
  @Column({ type: 'varchar', length: 16, default: RecordEvaluationStatus.PENDING }) status: RecordEvaluationStatus;
  /** Score per dimension id. */
  @Column({ type: 'jsonb', nullable: true }) scores: Record<string, number> | null;
  /** The LLM's answer per dimension id (its kind's output). */
  @Column({ type: 'jsonb', nullable: true }) analyses: Record<string, unknown> | null;
  /** Set by a dedupe step: a task keeps one record per key. */
  @Column({ name: 'dedupe_key', type: 'varchar', length: 64, nullable: true }) dedupeKey: string | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ name: 'evaluated_at', type: 'timestamptz', nullable: true }) evaluatedAt: Date | null;
}
