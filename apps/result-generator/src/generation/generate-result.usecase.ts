import { Inject, Injectable } from '@nestjs/common';
import { mapWithConcurrency } from '@app/common';
import { DimensionSpec, DimensionResultDto, GenerateResultJob, TaskResultDto } from '@app/contracts';
import type { StageOutcome, StageUseCase } from '@app/pipeline';
import { done, skipped, TaskEventsPublisher } from '@app/pipeline';
import { GenerationStore, TaskEntity, TaskRepository } from '@app/persistence';
import type { TaskState } from '@app/persistence';
import { DimensionReporter } from './dimension-reporter';

export const DIMENSION_CONCURRENCY = Symbol('DIMENSION_CONCURRENCY');

/** What one generate job did: the dimensions it reported itself (the others were stored before). */
export interface GenerateDetail {
  dimensions: number;
  reported: number;
}

/**
 * The generate stage of one task: every dimension reported in parallel (each stored as soon as it is
 * done, so a re-run redoes only the missing ones), then the dimensions combined into the result,
 * which is stored together with the task's final status, once.
 */
@Injectable()
export class GenerateResultUseCase implements StageUseCase<GenerateResultJob, GenerateDetail> {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly generation: GenerationStore,
    private readonly events: TaskEventsPublisher,
    private readonly reporter: DimensionReporter,
    @Inject(DIMENSION_CONCURRENCY) private readonly dimensionConcurrency: number,
  ) {}

  async execute(
    { taskId }: GenerateResultJob,
    task: TaskEntity,
    signal: AbortSignal,
  ): Promise<StageOutcome<GenerateDetail>> {
    const finished = await this.generation.finishedDimensions(taskId);
    const dimensions = await mapWithConcurrency(
      task.spec.dimensions,
      this.dimensionConcurrency,
      async (dimension) => finished.get(dimension.id) ?? this.reportDimension(task, dimension, signal),
    );
    const result = await this.combine(task, dimensions);
    const status = await this.generation.complete(taskId, result);
    if (!status) return skipped('task-ended');
    return done({ ...task, status }, { dimensions: dimensions.length, reported: dimensions.length - finished.size });
  }

  describe({ dimensions, reported }: GenerateDetail): string {
    return `result stored: ${dimensions} dimension(s), ${reported} reported by this run`;
  }

  progress(task: TaskState): string {
    return `finished: ${task.status}`;
  }

  private async reportDimension(
    task: TaskEntity,
    dimension: DimensionSpec,
    signal: AbortSignal,
  ): Promise<DimensionResultDto> {
    const scores = await this.generation.scores(task.id, dimension.id);
    const result = await this.reporter.report(task.spec, dimension, scores, signal);
    await this.generation.saveDimension(task.id, result);
    this.events.progress(
      task,
      `dimension ${dimension.id} done: ${result.statistics.passed}/${result.statistics.count} passed`,
    );
    return result;
  }

  private async combine(task: TaskEntity, dimensions: DimensionResultDto[]): Promise<TaskResultDto> {
    // Counters are re-read: the task row loaded at the start is older than the dimension writes.
    const current = (await this.tasks.findById(task.id)) ?? task;
    return {
      dimensions,
      passed_all_dimensions: await this.generation.countPassingAll(task.id, task.spec.dimensions),
      records_evaluated: current.recordsEvaluated,
      records_failed: current.recordsFailed,
      sources_failed: current.sourcesFailed,
      generated_at: new Date().toISOString(),
    };
  }
}
