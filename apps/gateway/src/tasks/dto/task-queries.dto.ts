import { ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsEnum, IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min, ValidateBy } from 'class-validator';
import { LABEL_RULES, PAGE_LIMITS, TaskStatus } from '@app/contracts';
import { resultCursor, taskCursor } from '../cursor';
import { MAX_WINDOW_SECONDS, parseWindow } from './window';

const LABEL_FILTER = new RegExp(`^${LABEL_RULES.keyPattern.source.slice(1, -1)}:.{1,${LABEL_RULES.maxValueLength}}$`);

/** A query parameter given once or repeated (`label=a:1&label=b:2`) reads as a list either way. */
const asList = ({ value }: { value: unknown }): unknown => (Array.isArray(value) ? value : [value]);

function IsCursor(decode: (cursor: string) => unknown): PropertyDecorator {
  return ValidateBy({
    name: 'isCursor',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && decode(value) !== undefined,
      defaultMessage: () => 'cursor is malformed: pass next_cursor of the previous page unchanged',
    },
  });
}

export class ListTasksQueryDto {
  @ApiPropertyOptional({
    description: 'Comma-separated statuses, any of them',
    example: 'running,completed',
    type: String,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @IsEnum(TaskStatus, { each: true })
  status?: TaskStatus[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: PAGE_LIMITS.tasks.max,
    default: PAGE_LIMITS.tasks.default,
    type: Number,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMITS.tasks.max)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsCursor(taskCursor.decode)
  cursor?: string;

  @ApiPropertyOptional({
    description: 'Only tasks submitted after this instant (ISO 8601)',
    example: '2025-01-01T00:00:00Z',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  created_after?: string;

  @ApiPropertyOptional({ description: 'Only tasks submitted before this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  created_before?: string;

  @ApiPropertyOptional({
    description: 'key:value; repeat the parameter to require several labels',
    example: 'team:search',
    type: String,
  })
  @IsOptional()
  @Transform(asList)
  @Matches(LABEL_FILTER, { each: true, message: 'label must be key:value with a valid label key' })
  label?: string[];
}

/** The active list is pending and running tasks: every filter but the status. */
export class ActiveTasksQueryDto extends OmitType(ListTasksQueryDto, ['status'] as const) {}

export class TaskStatsQueryDto {
  @ApiPropertyOptional({
    description: `Durations cover the tasks that ended within this window: a number and s, m, h or d, up to ${MAX_WINDOW_SECONDS / 86_400}d`,
    default: '1h',
    example: '15m',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isWindow',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && parseWindow(value) !== undefined,
      defaultMessage: () => 'window must be a number and s, m, h or d (e.g. 15m, 1h, 7d), at most 30d',
    },
  })
  window?: string;
}

export class TaskResultQueryDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: PAGE_LIMITS.resultRecords.max,
    default: PAGE_LIMITS.resultRecords.default,
    type: Number,
    description: 'Passing records per dimension on this page',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(PAGE_LIMITS.resultRecords.max)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsCursor(resultCursor.decode)
  cursor?: string;
}

export class DeleteTaskQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: cancel if active, then remove the task and all its data (204)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  purge?: 'true' | 'false';
}
