import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Marks an evaluate job's chunk as counted: the fan-in counts each chunk once, however often it runs. */
@Entity({ name: 'evaluation_chunks' })
export class EvaluationChunkEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' }) taskId: string;
  @PrimaryColumn({ type: 'int' }) chunk: number;
  @Column({ name: 'records_evaluated', type: 'int' }) recordsEvaluated: number;
  @Column({ name: 'records_failed', type: 'int' }) recordsFailed: number;
  @Column({ name: 'finished_at', type: 'timestamptz', default: () => 'now()' }) finishedAt: Date;
}
