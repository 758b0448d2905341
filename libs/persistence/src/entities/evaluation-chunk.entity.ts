import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TaskEntity } from './task.entity';

/** Marks an evaluate job's chunk as counted: the fan-in counts each chunk once, however often it runs. */
@Entity({ name: 'evaluation_chunks' })
export class EvaluationChunkEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'evaluation_chunks_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @PrimaryColumn({ type: 'int' }) chunk: number;
  @Column({ name: 'records_evaluated', type: 'int' }) recordsEvaluated: number;
  @Column({ name: 'records_failed', type: 'int' }) recordsFailed: number;
  @Column({ name: 'finished_at', type: 'timestamptz', default: () => 'now()' }) finishedAt: Date;
}
