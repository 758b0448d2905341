import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { TaskSpec } from '@app/contracts';
import { TaskStage, TaskStatus } from '@app/contracts';

@Entity({ name: 'tasks' })
@Check('tasks_status_check', `status IN (${sqlList(Object.values(TaskStatus))})`)
@Check('tasks_stage_check', `stage IN (${sqlList(Object.values(TaskStage))})`)
@Index('tasks_active_idx', ['status', 'stage', 'updatedAt'])
@Index('tasks_created_at_idx', ['createdAt'])
@Index('tasks_owner_status_idx', ['owner', 'status'])
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

  @Column({ type: 'text', nullable: true }) error: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}

function sqlList(values: readonly string[]): string {
  return values.map((value) => `'${value}'`).join(',');
}
