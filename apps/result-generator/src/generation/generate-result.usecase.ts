import { Inject, Injectable } from '@nestjs/common';
import { mapWithConcurrency } from '@app/common';
import {
  DimensionSpec,
  DimensionResultDto,
  GenerateResultJob,
  TaskResultDto,
  TaskStage,
  TaskStatus,
} from '@app/contracts';
import { StageUseCase, TaskEventsPublisher } from '@app/pipeline';
import { GenerationStore, TaskEntity, TaskRepository } from '@app/persistence';
import { DimensionReporter } from './dimension-reporter';

export const DIMENSION_CONCURRENCY = Symbol('DIMENSION_CONCURRENCY');

/**
 * The generate stage of one task: every dimension reported in parallel (each stored as soon as it is
 * done, so a re-run redoes only the missing ones), then the dimensions combined into the result,
 * which is stored together with the task's final status, once.
 */
@Injectable()
export class GenerateResultUseCase implements StageUseCase<GenerateResultJob> {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly generation: GenerationStore,
    private readonly events: TaskEventsPublisher,
    private readonly reporter: DimensionReporter,
    @Inject(DIMENSION_CONCURRENCY) private readonly dimensionConcurrency: number,
  ) {}

  async execute({ taskId }: GenerateResultJob, signal: AbortSignal): Promise<string> {
    const task = await this.tasks.findById(taskId);
    if (!task) return 'skipped: task not found';
    if (task.status !== TaskStatus.RUNNING || task.stage !== TaskStage.GENERATE)
      return `skipped: task is ${task.status}/${task.stage}`;

    const finished = await this.generation.finishedDimensions(taskId);
    const dimensions = await mapWithConcurrency(
      task.spec.dimensions,
      this.dimensionConcurrency,
      async (dimension) => finished.get(dimension.id) ?? this.reportDimension(task, dimension, signal),
    );
    const result = await this.combine(task, dimensions);
    const status = await this.generation.complete(taskId, result);
    if (!status) return 'skipped: task ended meanwhile, result discarded';
    this.events.progress({ id: taskId, status, stage: TaskStage.GENERATE }, `finished: ${status}`);
    return `result stored, task ${status}`;
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
