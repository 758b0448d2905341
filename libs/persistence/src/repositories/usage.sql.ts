import type { LlmUsage } from '@app/contracts';

/** What LLM calls cost per dimension, as the rows usageUpsert() takes in one JSON parameter. */
export function usageRows(byDimension: Readonly<Record<string, LlmUsage>>): object[] {
  return Object.entries(byDimension).map(([dimension_id, usage]) => ({
    dimension_id,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    calls: usage.calls,
    cache_hits: usage.cacheHits,
  }));
}

/**
 * The statement that adds usage rows (`rows`, the placeholder of usageRows() as JSON) to task `task`'s
 * figures, only when `condition` holds: on its own or as the last part of a statement with CTEs.
 */
export function usageUpsert(task: string, rows: string, condition = 'true'): string {
  return `INSERT INTO task_usage (task_id, dimension_id, prompt_tokens, completion_tokens, calls, cache_hits)
     SELECT ${task}, u.dimension_id, u.prompt_tokens, u.completion_tokens, u.calls, u.cache_hits
     FROM jsonb_to_recordset(${rows}::jsonb)
       AS u(dimension_id varchar, prompt_tokens bigint, completion_tokens bigint, calls int, cache_hits int)
     WHERE ${condition}
     ON CONFLICT (task_id, dimension_id) DO UPDATE SET
       prompt_tokens = task_usage.prompt_tokens + EXCLUDED.prompt_tokens,
       completion_tokens = task_usage.completion_tokens + EXCLUDED.completion_tokens,
       calls = task_usage.calls + EXCLUDED.calls,
       cache_hits = task_usage.cache_hits + EXCLUDED.cache_hits`;
}

/**
 * A task's LLM usage (`task`, a placeholder of its id) as one jsonb value shaped as TaskUsageDto: the
 * totals and each dimension's share, by dimension id. One definition for the task's view and for the
 * result that completes it (inside the statement that ends the task).
 */
export function usageJson(task: string): string {
  return `(SELECT jsonb_build_object(
       'prompt_tokens', coalesce(sum(u.prompt_tokens), 0)::float8,
       'completion_tokens', coalesce(sum(u.completion_tokens), 0)::float8,
       'calls', coalesce(sum(u.calls), 0)::int,
       'cache_hits', coalesce(sum(u.cache_hits), 0)::int,
       'dimensions', coalesce(jsonb_agg(jsonb_build_object(
           'dimension_id', u.dimension_id,
           'prompt_tokens', u.prompt_tokens::float8,
           'completion_tokens', u.completion_tokens::float8,
           'calls', u.calls,
           'cache_hits', u.cache_hits) ORDER BY u.dimension_id), '[]'::jsonb))
     FROM task_usage u WHERE u.task_id = ${task})`;
}
