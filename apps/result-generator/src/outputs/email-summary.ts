import type { TaskResultDto } from '@app/contracts';
import type { TaskEntity } from '@app/persistence';

/** The plain-text e-mail that reports a finished task: its figures, each dimension, its aggregates. */
export function emailSummary(task: TaskEntity, result: TaskResultDto | undefined): { subject: string; text: string } {
  const lines = [
    `Task ${task.id} ended: ${task.status}.`,
    '',
    `Sources: ${task.sourcesTotal} (${task.sourcesFailed} failed).`,
    `Records: ${task.recordsTotal} collected, ${task.recordsEvaluated} evaluated, ${task.recordsFailed} failed, ${task.recordsDropped} dropped by the processing chain.`,
  ];
  for (const dimension of result?.dimensions ?? []) {
    lines.push('', `Dimension ${dimension.dimension_id} (${dimension.name}, ${dimension.kind}):`);
    if (dimension.statistics) {
      const { passed, count, mean } = dimension.statistics;
      lines.push(`  ${passed}/${count} passed the threshold ${dimension.threshold ?? 0}; mean ${mean}.`);
    }
    if (dimension.analysis) lines.push(`  ${JSON.stringify(dimension.analysis)}`);
    if (dimension.summary) lines.push(`  ${dimension.summary}`);
  }
  for (const aggregate of result?.aggregates ?? []) {
    const figures = aggregate.values ? JSON.stringify(aggregate.values) : JSON.stringify(aggregate.groups);
    lines.push(
      '',
      `Aggregate of ${aggregate.field}${aggregate.group_by ? ` by ${aggregate.group_by}` : ''}: ${figures}`,
    );
  }
  lines.push('', `Records: GET /api/v1/tasks/${task.id}/export?format=csv`);
  return { subject: `Task ${task.id} ${task.status}`, text: `${lines.join('\n')}\n` };
}
