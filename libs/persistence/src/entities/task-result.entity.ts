import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TaskResultDto } from '@app/contracts';
import { TaskEntity } from './task.entity';

@Entity({ name: 'task_results' })
export class TaskResultEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'task_results_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @Column({ type: 'jsonb' }) result: TaskResultDto;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
