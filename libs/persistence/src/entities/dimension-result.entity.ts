import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DimensionResultDto } from '@app/contracts';

/** A finished dimension of the generate stage; a re-run of the stage reuses it instead of redoing it. */
@Entity({ name: 'dimension_results' })
export class DimensionResultEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' }) taskId: string;
  @PrimaryColumn({ name: 'dimension_id', type: 'varchar', length: 64 }) dimensionId: string;
  @Column({ type: 'jsonb' }) result: DimensionResultDto;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
