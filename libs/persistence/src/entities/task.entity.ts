import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TaskSpec } from '@app/contracts';
import { TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import { BatchEntity } from './batch.entity';

@Entity({ name: 'tasks' })
@Check('tasks_status_check', `status IN (${sqlList(Object.values(TaskStatus))})`)
@Check('tasks_stage_check', `stage IN (${sqlList(Object.values(TaskStage))})`)
@Check('tasks_priority_check', `priority IN (${sqlList(Object.values(TaskPriority))})`)
@Check('tasks_limits_check', 'soft_limit_s > 0 AND soft_limit_s <= hard_limit_s')
@Index('tasks_created_at_idx', ['createdAt', 'id'])
@Index('tasks_status_created_at_idx', ['status', 'createdAt', 'id'])
@Index('tasks_owner_created_at_idx', ['owner', 'createdAt', 'id'])
@Index('tasks_owner_status_created_at_idx', ['owner', 'status', 'createdAt', 'id'])
export class TaskEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ type: 'varchar', length: 32 }) status: TaskStatus;
  @Column({ type: 'varchar', length: 16, nullable: true }) stage: TaskStage | null;
  @Column({ type: 'jsonb' }) spec: TaskSpec;
  /** The name of the API key that created the task; null when the API was open. */
  @Column({ type: 'varchar', length: 64, nullable: true }) owner: string | null;

  @Column({ name: 'sources_total', type: 'int' }) sourcesTotal: number;
  @Column({ name: 'sources_collected', type: 'int', default: 0 }) sourcesCollected: number;
  @Column({ name: 'sources_failed', type: 'int', default: 0 }) sourcesFailed: number;
  @Column({ name: 'records_total', type: 'int', default: 0 }) recordsTotal: number;
  @Column({ name: 'records_evaluated', type: 'int', default: 0 }) recordsEvaluated: number;
  @Column({ name: 'records_failed', type: 'int', default: 0 }) recordsFailed: number;
  /** Left out by the processing chain: filtered, or duplicates of a record kept. */
  @Column({ name: 'records_dropped', type: 'int', default: 0 }) recordsDropped: number;
  @Column({ name: 'dimensions_total', type: 'int' }) dimensionsTotal: number;
  @Column({ name: 'dimensions_done', type: 'int', default: 0 }) dimensionsDone: number;
  /** Set when collection ends: how many evaluate jobs the task fans out to. */
  @Column({ name: 'chunks_total', type: 'int', nullable: true }) chunksTotal: number | null;
  @Column({ name: 'chunks_done', type: 'int', default: 0 }) chunksDone: number;

  /** Free-form key → value tags, for filtering (GIN index, `labels @> {...}`). */
  @Index('tasks_labels_idx', { synchronize: false })
  @Column({ type: 'jsonb', default: () => "'{}'" })
  labels: Record<string, string>;
  @Column({ type: 'varchar', length: 8, default: TaskPriority.NORMAL }) priority: TaskPriority;
  /** Time limits in seconds as accepted, and the deadlines they set when the task started. */
  @Column({ name: 'soft_limit_s', type: 'int', default: 3300 }) softLimitS: number;
  @Column({ name: 'hard_limit_s', type: 'int', default: 3600 }) hardLimitS: number;
  @Index('tasks_soft_deadline_idx', { synchronize: false })
  @Column({ name: 'soft_deadline_at', type: 'timestamptz', nullable: true })
  softDeadlineAt: Date | null;
  @Index('tasks_hard_deadline_idx', { synchronize: false })
  @Column({ name: 'hard_deadline_at', type: 'timestamptz', nullable: true })
  hardDeadlineAt: Date | null;
  /** Set when the soft deadline passed: the stages take no new work for the task after it. */
  @Column({ name: 'soft_limited_at', type: 'timestamptz', nullable: true }) softLimitedAt: Date | null;
  /** The batch the task was submitted in, and its position there. */
  @Index('tasks_batch_created_at_idx', { synchronize: false })
  @Column({ name: 'batch_id', type: 'uuid', nullable: true })
  @ForeignKey(() => BatchEntity, { name: 'tasks_batch_id_fkey', onDelete: 'CASCADE' })
  batchId: string | null;
  @Column({ name: 'batch_index', type: 'int', nullable: true }) batchIndex: number | null;
  /** The task this one retries (null once that one is purged). */
  @Index('tasks_retry_of_idx', { synchronize: false })
  @Column({ name: 'retry_of', type: 'uuid', nullable: true })
  @ForeignKey(() => TaskEntity, { name: 'tasks_retry_of_fkey', onDelete: 'SET NULL' })
  retryOf: string | null;

  @Column({ type: 'text', nullable: true }) error: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  /** When the collect stage ended, and the evaluate stage: the boundaries of the stage durations. */
  @Column({ name: 'collected_at', type: 'timestamptz', nullable: true }) collectedAt: Date | null;
  @Column({ name: 'evaluated_at', type: 'timestamptz', nullable: true }) evaluatedAt: Date | null;
  @Index('tasks_finished_at_idx', { synchronize: false })
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

function sqlList(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(',');
}
