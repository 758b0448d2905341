import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { SourceOutcome } from '@app/contracts';
import { TaskEntity } from './task.entity';

/** One row per source once it is settled: its existence is what makes a collect re-run skip it. */
@Entity({ name: 'task_sources' })
export class TaskSourceEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'task_sources_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @PrimaryColumn({ name: 'source_id', type: 'varchar', length: 64 }) sourceId: string;
  @Column({ type: 'varchar', length: 16 }) outcome: SourceOutcome;
  @Column({ type: 'int' }) records: number;
  @Column({ type: 'int' }) attempts: number;
  @Column({ name: 'duration_ms', type: 'int' }) durationMs: number;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ name: 'finished_at', type: 'timestamptz', default: () => 'now()' }) finishedAt: Date;
}
