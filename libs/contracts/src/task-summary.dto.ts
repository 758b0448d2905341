import { ApiProperty } from '@nestjs/swagger';
import { TaskPriority } from './task-options';
import { TaskStage, TaskStatus } from './task-status';

export class TaskProgressDto {
  @ApiProperty() sources_total: number;
  @ApiProperty() sources_collected: number;
  @ApiProperty() sources_failed: number;
  @ApiProperty({ description: 'Records collected from all sources' }) records_total: number;
  @ApiProperty() records_evaluated: number;
  @ApiProperty({ description: 'Refused by the processing chain or the LLM' }) records_failed: number;
  @ApiProperty({ description: 'Left out by the processing chain (filtered, or duplicates)' }) records_dropped: number;
  @ApiProperty() dimensions_total: number;
  @ApiProperty() dimensions_done: number;
}

export class TaskLimitsViewDto {
  @ApiProperty({ example: 3300 }) soft_seconds: number;
  @ApiProperty({ example: 3600 }) hard_seconds: number;
}

/** A task as lists show it: everything but its request and its result. */
export class TaskSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: TaskStatus }) status: TaskStatus;
  @ApiProperty({
    enum: TaskStage,
    nullable: true,
    description: 'Stage a running task is in; the last stage reached once it ended',
  })
  stage: TaskStage | null;
  @ApiProperty({ type: TaskProgressDto }) progress: TaskProgressDto;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { team: 'search' } })
  labels: Record<string, string>;
  @ApiProperty({ enum: TaskPriority }) priority: TaskPriority;
  @ApiProperty({ type: TaskLimitsViewDto }) limits: TaskLimitsViewDto;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'When the soft time limit was reached (the task took no new work after it)',
  })
  soft_limit_reached_at: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The batch it was submitted in' })
  batch_id: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'The task this one retries' })
  retry_of: string | null;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
  @ApiProperty({ nullable: true, type: String }) started_at: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
}
