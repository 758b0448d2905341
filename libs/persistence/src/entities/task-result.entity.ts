import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TaskResultDto } from '@app/contracts';

@Entity({ name: 'task_results' })
export class TaskResultEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' }) taskId: string;
  @Column({ type: 'jsonb' }) result: TaskResultDto;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}
