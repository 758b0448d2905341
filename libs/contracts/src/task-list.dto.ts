import { ApiProperty } from '@nestjs/swagger';
import { TaskSummaryDto } from './task-summary.dto';

export class TaskPageDto {
  @ApiProperty({ type: [TaskSummaryDto], description: 'Newest first' }) items: TaskSummaryDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  next_cursor: string | null;
}

export class StatusCountsDto {
  @ApiProperty() pending: number;
  @ApiProperty() running: number;
  @ApiProperty() completed: number;
  @ApiProperty() completed_with_errors: number;
  @ApiProperty() failed: number;
  @ApiProperty() cancelled: number;
  @ApiProperty() total: number;
}

export class FinishedCountsDto {
  @ApiProperty({ description: 'Tasks that ended in the last minute' }) last_1m: number;
  @ApiProperty() last_5m: number;
  @ApiProperty() last_15m: number;
}

export class DurationPercentilesDto {
  @ApiProperty({ description: 'Tasks measured' }) count: number;
  @ApiProperty({ nullable: true, type: Number }) p50_ms: number | null;
  @ApiProperty({ nullable: true, type: Number }) p95_ms: number | null;
}

export class StageDurationsDto {
  @ApiProperty({ type: DurationPercentilesDto, description: 'Submitted → started (waiting in the queue)' })
  queued: DurationPercentilesDto;
  @ApiProperty({ type: DurationPercentilesDto }) collect: DurationPercentilesDto;
  @ApiProperty({ type: DurationPercentilesDto }) evaluate: DurationPercentilesDto;
  @ApiProperty({ type: DurationPercentilesDto }) generate: DurationPercentilesDto;
  @ApiProperty({ type: DurationPercentilesDto, description: 'Submitted → ended' }) total: DurationPercentilesDto;
}

export class TaskStatsDto {
  @ApiProperty({ type: StatusCountsDto }) counts: StatusCountsDto;
  @ApiProperty({ type: FinishedCountsDto }) finished: FinishedCountsDto;
  @ApiProperty({ example: '1h', description: 'The window the durations cover: tasks that ended within it' })
  window: string;
  @ApiProperty({ type: StageDurationsDto }) durations: StageDurationsDto;
  @ApiProperty() generated_at: string;
}

/** Page sizes: the default and the most one page may hold. */
export const PAGE_LIMITS = {
  tasks: { default: 20, max: 200 },
  resultRecords: { default: 100, max: 1000 },
} as const;
