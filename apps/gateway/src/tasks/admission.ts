import type { FieldError, TaskSpec } from '@app/contracts';

/** How much one task may ask for, and how many tasks the service takes on at once. */
export interface AdmissionLimits {
  /** Records a task declares in all (each source's `simulation.records`, or its inline `records`). */
  maxRecordsPerTask: number;
  /** Scores a task asks for: declared records × dimensions (each one LLM call). */
  maxScoresPerTask: number;
  /** Pending and running tasks of the whole deployment; more get 429 until some end. */
  maxActiveTasks: number;
}

export const ADMISSION_LIMITS = Symbol('ADMISSION_LIMITS');

/**
 * What makes a task too big to take, by field: one client must not be able to fill the queues for
 * everyone. Counts what the request declares; a source that declares no count is bounded by the
 * collector's own SIM_SOURCE_RECORDS (simulated) or DATA_SOURCE_MAX_RECORDS (live) instead.
 */
export function oversizeFields(spec: TaskSpec, limits: AdmissionLimits): FieldError[] {
  const records = spec.sources.reduce(
    (sum, source) => sum + (source.simulation?.records ?? source.records?.length ?? 0),
    0,
  );
  const scores = records * spec.dimensions.length;
  const problems: FieldError[] = [];
  if (records > limits.maxRecordsPerTask) {
    problems.push({
      field: 'data_sources',
      reasons: [`declare ${records} records in all; a task may have at most ${limits.maxRecordsPerTask}`],
    });
  }
  if (scores > limits.maxScoresPerTask) {
    problems.push({
      field: 'dimensions',
      reasons: [
        `${spec.dimensions.length} dimensions × ${records} records = ${scores} scores; a task may ask for at most ${limits.maxScoresPerTask}`,
      ],
    });
  }
  return problems;
}
