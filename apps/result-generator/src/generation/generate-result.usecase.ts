import { Inject, Injectable } from '@nestjs/common';
import { mapWithConcurrency } from '@app/common';
import type { AggregateResult, OutputSpec } from '@app/contracts';
import {
  DimensionSpec,
  DimensionResultDto,
  GenerateResultJob,
  OUTPUT_DELIVERY_KINDS,
  TaskResultDto,
} from '@app/contracts';
import type { StageOutcome, StageUseCase } from '@app/pipeline';
import { done, skipped, TaskEventsPublisher } from '@app/pipeline';
import { GenerationStore, TaskEntity } from '@app/persistence';
import type { DimensionThreshold, NewDelivery, TaskState } from '@app/persistence';
import { AggregateAccumulator, ProcessingChain } from '@app/processing';
import type { DimensionInputs } from './dimension-reporter';
import { DimensionReporter } from './dimension-reporter';
import { DimensionStatements } from './dimension-statements';

export const DIMENSION_CONCURRENCY = Symbol('DIMENSION_CONCURRENCY');

/** Each output becomes a delivery in the outbox, keyed by its position so a re-run adds none. */
export function outputDeliveries(outputs: readonly OutputSpec[]): NewDelivery[] {
  return outputs.map((output, index) => ({
    key: `output:${index}`,
    kind: OUTPUT_DELIVERY_KINDS[output.type],
    spec: output,
  }));
}

/** The thresholds a record must meet to pass every dimension: those of the dimensions that have one. */
function thresholdsOf(dimensions: readonly DimensionSpec[]): DimensionThreshold[] {
  return dimensions.flatMap(({ id, threshold }) => (threshold === undefined ? [] : [{ id, threshold }]));
}

/** What one generate job did: the dimensions it reported itself (the others were stored before). */
export interface GenerateDetail {
  dimensions: number;
  reported: number;
}

/**
 * The generate stage of one task: every dimension reported in parallel (each stored as soon as it is
 * done, so a re-run redoes only the missing ones), then the dimensions and the chain's aggregates
 * combined into the result, which is stored together with the task's final status and its outputs'
 * deliveries, once.
 */
@Injectable()
export class GenerateResultUseCase implements StageUseCase<GenerateResultJob, GenerateDetail> {
  constructor(
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
    // A stored dimension is counted in the same statement: with none counted, there is none to read.
    const finished =
      task.dimensionsDone > 0
        ? await this.generation.finishedDimensions(taskId)
        : new Map<string, DimensionResultDto>();
    const statements = new DimensionStatements(
      this.generation,
      taskId,
      thresholdsOf(task.spec.dimensions),
      task.spec.dimensions.length,
    );
    const dimensions = await mapWithConcurrency(
      task.spec.dimensions,
      this.dimensionConcurrency,
      async (dimension, _index, dimensionSignal) =>
        finished.get(dimension.id) ?? this.reportDimension(task, dimension, statements, dimensionSignal),
      { signal },
    );
    const result = await this.combine(task, dimensions, statements);
    const status = await this.generation.complete(taskId, result, outputDeliveries(task.spec.outputs ?? []));
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
    statements: DimensionStatements,
    signal: AbortSignal,
  ): Promise<DimensionResultDto> {
    const inputs: DimensionInputs = {
      scores: (threshold, limits) => statements.readScores(dimension.id, threshold, limits),
      analyses: () => this.generation.analyses(task.id, dimension.id),
    };
    const { result, usage } = await this.reporter.report(task.spec, dimension, inputs, signal);
    await statements.saveDimension(result, usage);
    const passed = result.statistics ? `: ${result.statistics.passed}/${result.statistics.count} passed` : '';
    this.events.progress(task, `dimension ${dimension.id} done${passed}`);
    return result;
  }

  private async combine(
    task: TaskEntity,
    dimensions: DimensionResultDto[],
    statements: DimensionStatements,
  ): Promise<TaskResultDto> {
    // The record and source counters of a task in generate are final: the collect and evaluate
    // stages, which alone move them, have ended. The dimension writes move only dimensions_done.
    const aggregates = await this.aggregate(task);
    return {
      dimensions,
      passed_all_dimensions: await statements.passingAll(),
      records_evaluated: task.recordsEvaluated,
      records_failed: task.recordsFailed,
      records_dropped: task.recordsDropped,
      sources_failed: task.sourcesFailed,
      ...(aggregates.length > 0 ? { aggregates } : {}),
      generated_at: new Date().toISOString(),
    };
  }

  /** The chain's aggregate steps, all folded in one pass over the records streamed from Postgres. */
  private async aggregate(task: TaskEntity): Promise<AggregateResult[]> {
    const steps = new ProcessingChain(task.spec.processing).aggregateSteps;
    if (steps.length === 0) return [];
    const accumulators = steps.map((step) => new AggregateAccumulator(step));
    for await (const fields of this.generation.chainOutputs(task.id)) {
      for (const accumulator of accumulators) accumulator.add(fields);
    }
    return accumulators.map((accumulator) => accumulator.result());
  }
}
