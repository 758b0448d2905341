import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsDefined, IsObject, IsOptional, ValidateNested } from 'class-validator';
import { CreateTaskDto } from './create-task.dto';
import { NotificationViewDto, NotifyDto } from './notify';
import { StatusCountsDto } from './task-list.dto';
import { TaskStatus } from './task-status';

/**
 * Far above any sensible BATCH_MAX_TASKS: bounds the validation work on a request before the
 * configured cap answers it (BODY_LIMIT_BYTES bounds it too).
 */
export const BATCH_HARD_CAP = 10_000;

export class CreateBatchDto {
  @ApiProperty({
    type: [CreateTaskDto],
    minItems: 1,
    description: 'Up to BATCH_MAX_TASKS tasks (default 1000), each as POST /tasks takes it',
  })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(BATCH_HARD_CAP)
  @ValidateNested({ each: true })
  @Type(() => CreateTaskDto)
  tasks: CreateTaskDto[];

  @ApiPropertyOptional({
    type: NotifyDto,
    description:
      'When every task of the batch has ended, POST {"event": "batch.completed", ...the batch as GET shows it}; ' +
      'each task may also carry its own notify',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => NotifyDto)
  notify?: NotifyDto;
}

export class BatchAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: [String], description: 'The ids of the tasks, in the order they were given' })
  task_ids: string[];
  @ApiProperty({ example: '/api/v1/batches/4b1c…' }) url: string;
}

export class BatchErrorDto {
  @ApiProperty({ format: 'uuid' }) task_id: string;
  @ApiProperty({ enum: TaskStatus }) status: TaskStatus;
  @ApiProperty() error: string;
}

export class BatchViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() total: number;
  @ApiProperty({ type: StatusCountsDto, description: 'Tasks by status' }) counts: StatusCountsDto;
  @ApiProperty({ description: 'Tasks that completed, with or without errors' }) succeeded: number;
  @ApiProperty({ description: 'Tasks that failed' }) failed: number;
  @ApiProperty({ description: 'Every task has ended' }) done: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String, description: 'When its first task started' })
  started_at: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When its last task ended, once done' })
  finished_at: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'created_at → finished_at, once done' })
  duration_ms: number | null;
  @ApiProperty({ type: [BatchErrorDto], description: 'The first tasks (in submission order) that ended with an error' })
  errors: BatchErrorDto[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  labels?: Record<string, string>;
  @ApiProperty({
    type: NotificationViewDto,
    nullable: true,
    description: 'The batch.completed webhook and its delivery; null without notify',
  })
  notification: NotificationViewDto | null;
}
