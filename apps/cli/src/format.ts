/** A task as the gateway shows it, as far as the CLI prints it. */
export interface TaskView {
  id: string;
  status: string;
  stage: string | null;
  error?: string | null;
  progress: {
    sources_total: number;
    sources_collected: number;
    sources_failed: number;
    records_total: number;
    records_evaluated: number;
    records_failed: number;
    dimensions_total: number;
    dimensions_done: number;
  };
}

/** A page of GET /tasks. */
export interface TaskPage {
  items: (TaskView & { created_at: string })[];
  next_cursor: string | null;
}

export const ACTIVE = new Set(['pending', 'running']);

/**
 * How far a task is, 0-100: collecting counts for the first 10 %, evaluating for the next 80 %,
 * generating the dimensions for the last 10 %; an ended task is at 100.
 */
export function percentDone(task: TaskView): number {
  if (!ACTIVE.has(task.status)) return 100;
  const p = task.progress;
  const collect = p.sources_total ? (p.sources_collected + p.sources_failed) / p.sources_total : 0;
  const evaluate = p.records_total ? (p.records_evaluated + p.records_failed) / p.records_total : 0;
  const generate = p.dimensions_total ? p.dimensions_done / p.dimensions_total : 0;
  return Math.min(99, Math.floor(10 * collect + 80 * evaluate + 10 * generate));
}

/** One line per fact, for `status`. */
export function describeTask(task: TaskView): string {
  const p = task.progress;
  const lines = [
    `task      ${task.id}`,
    `status    ${task.status}${task.stage && ACTIVE.has(task.status) ? ` (${task.stage})` : ''}`,
    `sources   ${p.sources_collected}/${p.sources_total} collected, ${p.sources_failed} failed`,
    `records   ${p.records_evaluated}/${p.records_total} evaluated, ${p.records_failed} failed`,
    `dimensions ${p.dimensions_done}/${p.dimensions_total} done`,
  ];
  if (task.error) lines.push(`error     ${task.error}`);
  return lines.join('\n');
}

/** Rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
