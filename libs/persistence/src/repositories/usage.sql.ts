import type { EntityManager } from 'typeorm';
import type { LlmUsage, TaskUsageDto } from '@app/contracts';
import { selectRows } from './sql';

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

/** A task's LLM usage: the totals and each dimension's share. */
export async function readTaskUsage(manager: EntityManager, taskId: string): Promise<TaskUsageDto> {
  const dimensions = await selectRows<TaskUsageDto['dimensions'][number]>(
    manager,
    `SELECT dimension_id, prompt_tokens::float8 AS prompt_tokens, completion_tokens::float8 AS completion_tokens,
            calls, cache_hits
     FROM task_usage WHERE task_id = $1 ORDER BY dimension_id`,
    [taskId],
  );
  const total = (field: 'prompt_tokens' | 'completion_tokens' | 'calls' | 'cache_hits'): number =>
    dimensions.reduce((sum, row) => sum + row[field], 0);
  return {
    prompt_tokens: total('prompt_tokens'),
    completion_tokens: total('completion_tokens'),
    calls: total('calls'),
    cache_hits: total('cache_hits'),
    dimensions,
  };
}
