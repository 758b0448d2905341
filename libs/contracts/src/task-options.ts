import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { RequestedLimits } from './task-spec';

/** How a task's jobs are ordered in every stage's queue against other tasks' jobs. */
export enum TaskPriority {
  HIGH = 'high',
  NORMAL = 'normal',
  LOW = 'low',
}

/** Bull's job priority (1 is taken first) for each task priority; every job of every stage carries it. */
export const JOB_PRIORITY: Record<TaskPriority, number> = {
  [TaskPriority.HIGH]: 1,
  [TaskPriority.NORMAL]: 2,
  [TaskPriority.LOW]: 3,
};

/** The longest limit a task may ask for: a week. */
export const MAX_TIME_LIMIT_S = 7 * 86_400;

export class TaskLimitsDto {
  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TIME_LIMIT_S,
    example: 3300,
    description:
      'Seconds after the task starts past which it takes no new work and ends completed_with_errors with what it has ' +
      '(server default TASK_SOFT_TIME_LIMIT_S, never above hard_seconds)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIME_LIMIT_S)
  soft_seconds?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TIME_LIMIT_S,
    example: 3600,
    description:
      'Seconds after the task starts past which it fails with "time limit exceeded" and its jobs stop ' +
      '(server default TASK_HARD_TIME_LIMIT_S)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_TIME_LIMIT_S)
  hard_seconds?: number;
}

/** The limits a task runs under, once the server's defaults have filled in what it did not set. */
export interface EffectiveLimits {
  softSeconds: number;
  hardSeconds: number;
}

/**
 * Fills in the defaults: the hard limit as given or the default; the soft one as given or the default
 * cut down to the hard one. Undefined when the task asked for a soft limit above its hard one.
 */
export function effectiveLimits(
  requested: RequestedLimits | undefined,
  defaults: EffectiveLimits,
): EffectiveLimits | undefined {
  const hardSeconds = requested?.hardSeconds ?? Math.max(defaults.hardSeconds, requested?.softSeconds ?? 0);
  const softSeconds = requested?.softSeconds ?? Math.min(defaults.softSeconds, hardSeconds);
  return softSeconds <= hardSeconds ? { softSeconds, hardSeconds } : undefined;
}
