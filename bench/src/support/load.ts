import type { BenchDatabase } from './services';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The p-th percentile (0–100) by nearest rank; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface TaskShape {
  sources: number;
  records: number;
  dimensions: number;
  /** Simulated fetch latency of each source; the collector's default range when absent. */
  sourceLatencyMs?: number;
}

/**
 * A task of simulated sources. Source ids differ per task, so the records (a function of the source id)
 * and hence the LLM requests differ too: no task is answered from another's cache.
 */
export function taskBody(index: number, shape: TaskShape): object {
  return {
    data_sources: Array.from({ length: shape.sources }, (_, source) => ({
      id: `t${index}-s${source}`,
      type: 'api',
      url: 'https://example.test/data',
      simulation: {
        records: shape.records,
        failure_rate: 0,
        ...(shape.sourceLatencyMs === undefined ? {} : { latency_ms: shape.sourceLatencyMs }),
      },
    })),
    llm_config: { model: 'gpt-4o-mini', temperature: 0 },
    dimensions: Array.from({ length: shape.dimensions }, (_, dimension) => ({
      id: `d${dimension}`,
      name: `Dimension ${dimension}`,
      threshold: 0.5,
    })),
  };
}

/** POSTs `count` tasks, `concurrency` at a time; returns their ids in order. Any answer but 202 throws. */
export async function submitTasks(
  baseUrl: string,
  count: number,
  concurrency: number,
  body: (index: number) => object,
  onSubmitted: (id: string) => void = () => undefined,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      const response = await fetch(`${baseUrl}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(index)),
      });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`POST /api/v1/tasks answered ${response.status}: ${text}`);
      ids[index] = (JSON.parse(text) as { id: string }).id;
      onSubmitted(ids[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return ids;
}

export interface TaskCounts {
  total: number;
  active: number;
  completed: number;
  /** Ended otherwise: completed_with_errors, failed, cancelled. */
  other: number;
  /** From the first task's creation to the last one's end, as Postgres stamped them. */
  spanMs: number;
}

export async function taskCounts(database: BenchDatabase): Promise<TaskCounts> {
  const [row] = await database.query<TaskCounts>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE status IN ('pending', 'running'))::int AS active,
            count(*) FILTER (WHERE status = 'completed')::int AS completed,
            count(*) FILTER (WHERE status NOT IN ('pending', 'running', 'completed'))::int AS other,
            coalesce(extract(epoch FROM max(finished_at) - min(created_at)) * 1000, 0)::float AS "spanMs"
       FROM tasks`,
  );
  return row;
}

/** Waits until `expected` tasks exist and none is active; logs progress every 10 s; throws past the deadline. */
export async function waitForTasks(
  database: BenchDatabase,
  expected: number,
  timeoutMs: number,
  log: (message: string) => void,
): Promise<TaskCounts> {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const counts = await taskCounts(database);
    if (counts.total >= expected && counts.active === 0) return counts;
    if (Date.now() > deadline)
      throw new Error(`tasks did not end within ${timeoutMs / 1000} s: ${JSON.stringify(counts)}`);
    if (Date.now() - lastLog >= 10_000) {
      lastLog = Date.now();
      log(`  ${counts.total - counts.active}/${expected} tasks ended`);
    }
    await delay(500);
  }
}
