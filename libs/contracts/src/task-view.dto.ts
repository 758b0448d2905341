import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AnalysisKind, AnalysisSummary } from './analysis';
import { CreateTaskDto } from './create-task.dto';
import { NotificationViewDto } from './notify';
import type { AggregateResult } from './processing';
import { TaskStage, TaskStatus } from './task-status';
import { TaskSummaryDto } from './task-summary.dto';

export class TaskErrorDto {
  @ApiProperty({ enum: TaskStage }) stage: TaskStage;
  @ApiPropertyOptional() source_id?: string;
  @ApiPropertyOptional() record_id?: string;
  @ApiProperty() message: string;
}

export class ScoreStatisticsDto {
  @ApiProperty({ description: 'Records scored on this dimension' }) count: number;
  @ApiProperty({ description: 'Records whose score >= threshold' }) passed: number;
  @ApiProperty() pass_rate: number;
  @ApiProperty() mean: number;
  @ApiProperty() min: number;
  @ApiProperty() max: number;
  @ApiProperty() median: number;
  @ApiProperty() p90: number;
  @ApiProperty() stddev: number;
}

export class PassedRecordDto {
  @ApiProperty() source_id: string;
  @ApiProperty() record_id: string;
  @ApiProperty() score: number;
}

export class DimensionResultDto {
  @ApiProperty() dimension_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: AnalysisKind }) kind: AnalysisKind;
  @ApiProperty({ nullable: true, type: Number, description: 'Null for kinds that yield no number' })
  threshold: number | null;
  @ApiProperty({
    type: ScoreStatisticsDto,
    nullable: true,
    description: 'Of the numbers (scores; sentiment confidences); null for kinds that yield none',
  })
  statistics: ScoreStatisticsDto | null;
  @ApiProperty({ type: [PassedRecordDto] }) passed_records: PassedRecordDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Null when the LLM could not write it (see summary_error)',
  })
  summary: string | null;
  @ApiPropertyOptional({ description: 'Why the summary is missing; the task then ends completed_with_errors' })
  summary_error?: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      "The kind's aggregation over every analysed record: sentiment distribution, topic counts, error types and knowledge points, or the knowledge graph",
  })
  analysis?: AnalysisSummary;
}

export class UsageFiguresDto {
  @ApiProperty({ description: 'Prompt tokens the provider billed' }) prompt_tokens: number;
  @ApiProperty({ description: 'Completion tokens the provider billed' }) completion_tokens: number;
  @ApiProperty({ description: 'Provider calls that were answered (re-asks included)' }) calls: number;
  @ApiProperty({ description: 'Answers served from the response cache instead' }) cache_hits: number;
}

export class DimensionUsageDto extends UsageFiguresDto {
  @ApiProperty({ description: 'A dimension id, or `enrich <field>` for an LLM enrichment of the chain' })
  dimension_id: string;
}

export class TaskUsageDto extends UsageFiguresDto {
  @ApiProperty({ type: [DimensionUsageDto], description: "Each dimension's calls (records and summary)" })
  dimensions: DimensionUsageDto[];
}

export class TaskResultDto {
  @ApiProperty({ type: [DimensionResultDto] }) dimensions: DimensionResultDto[];
  @ApiProperty({ description: 'Records that pass every dimension with a threshold' }) passed_all_dimensions: number;
  @ApiProperty() records_evaluated: number;
  @ApiProperty() records_failed: number;
  @ApiProperty({ description: 'Left out by the processing chain' }) records_dropped: number;
  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    description: "The processing chain's aggregate steps, in order, over the records that left the chain",
  })
  aggregates?: AggregateResult[];
  @ApiProperty() sources_failed: number;
  @ApiPropertyOptional({ type: TaskUsageDto, description: 'What the LLM calls of the task cost' })
  usage?: TaskUsageDto;
  @ApiProperty() generated_at: string;
}

export class DimensionResultPageDto extends DimensionResultDto {
  @ApiProperty({ description: 'Passing records of this dimension in the whole result' })
  passed_records_total: number;
}

export class TaskResultPageDto extends TaskResultDto {
  @ApiProperty({ type: [DimensionResultPageDto], description: 'passed_records holds one page of each dimension' })
  declare dimensions: DimensionResultPageDto[];
  @ApiProperty({ nullable: true, type: String, description: 'Next page of passing records; null on the last' })
  next_cursor: string | null;
}

export class DeliveryViewDto {
  @ApiProperty({ description: "Position in the task's outputs" }) output: number;
  @ApiProperty({ enum: ['export', 'email'] }) type: string;
  @ApiProperty({
    enum: ['waiting', 'pending', 'delivering', 'delivered', 'failed'],
    description: 'waiting: the task has not ended yet; pending: queued or waiting for its next attempt',
  })
  status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ nullable: true, type: String }) delivered_at: string | null;
}

/** A task with its request, its errors and, once finished, its result. */
export class TaskViewDto extends TaskSummaryDto {
  @ApiProperty({ type: CreateTaskDto }) request: CreateTaskDto;
  @ApiProperty({ type: [TaskErrorDto], description: 'Failed sources and records (the first 100)' })
  errors: TaskErrorDto[];
  @ApiProperty({ type: TaskUsageDto, description: 'What the LLM calls of the task have cost so far' })
  usage: TaskUsageDto;
  @ApiPropertyOptional({
    type: TaskResultPageDto,
    description:
      'Present once the task has completed: statistics and summaries whole, and the first page (100) of each ' +
      "dimension's passing records; next_cursor pages on through GET /tasks/{id}/result",
  })
  result?: TaskResultPageDto;
  @ApiProperty({ type: [DeliveryViewDto], description: "The delivery state of each of the task's outputs" })
  outputs: DeliveryViewDto[];
  @ApiProperty({
    type: NotificationViewDto,
    nullable: true,
    description: 'The webhook told of the end of the task (notify) and its delivery; null without notify',
  })
  notification: NotificationViewDto | null;
}

export class TaskAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: TaskStatus, example: TaskStatus.PENDING }) status: TaskStatus;
  @ApiProperty({ example: '/api/v1/tasks/4b1c…' }) url: string;
}

export class ErrorFieldDto {
  @ApiProperty({ example: 'dimensions[0].threshold' }) field: string;
  @ApiProperty({ example: ['threshold must not be greater than 1'] }) reasons: string[];
}

export class ErrorResponseDto {
  @ApiProperty() statusCode: number;
  @ApiProperty() error: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ type: [ErrorFieldDto] }) fields?: ErrorFieldDto[];
  @ApiPropertyOptional({ enum: TaskStatus, description: 'The task status, on a 409' }) status?: TaskStatus;
}
