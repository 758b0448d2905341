import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { DimensionResultDto } from '@app/contracts';
import { TaskEntity } from './task.entity';

/** A finished dimension of the generate stage; a re-run of the stage reuses it instead of redoing it. */
@Entity({ name: 'dimension_results' })
export class DimensionResultEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'dimension_results_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @PrimaryColumn({ name: 'dimension_id', type: 'varchar', length: 64 }) dimensionId: string;
  @Column({ type: 'jsonb' }) result: DimensionResultDto;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
