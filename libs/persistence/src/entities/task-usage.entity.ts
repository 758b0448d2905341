import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';
import { TaskEntity } from './task.entity';

/**
 * What the LLM cost a task, per dimension (its record calls and its summary) and per LLM enrichment.
 * Added to in the same transaction that counts the chunk or stores the dimension, so a re-run never
 * counts twice.
 */
@Entity({ name: 'task_usage' })
export class TaskUsageEntity {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' })
  @ForeignKey(() => TaskEntity, { name: 'task_usage_task_id_fkey', onDelete: 'CASCADE' })
  taskId: string;
  @PrimaryColumn({ name: 'dimension_id', type: 'varchar', length: 160 }) dimensionId: string;
  @Column({ name: 'prompt_tokens', type: 'bigint', default: 0 }) promptTokens: string;
  @Column({ name: 'completion_tokens', type: 'bigint', default: 0 }) completionTokens: string;
  @Column({ type: 'int', default: 0 }) calls: number;
  @Column({ name: 'cache_hits', type: 'int', default: 0 }) cacheHits: number;
}
