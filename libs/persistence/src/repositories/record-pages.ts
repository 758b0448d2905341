import type { EntityManager } from 'typeorm';
import { selectRows } from './sql';

/** Rows per page: one round trip per this many records, and never more of them in memory. */
export const RECORD_PAGE_SIZE = 1000;

/**
 * A task's records in collection order, fetched page by page with a keyset on (source_id, position)
 * (index task_records_order_idx): each page is one short query, so a slow reader holds no connection
 * and no cursor, and memory stays at one page whatever the task's size. `where` may use parameters
 * from $3 on (`parameters`).
 */
export async function* recordPages<T>(
  manager: EntityManager,
  taskId: string,
  columns: string,
  where = 'TRUE',
  parameters: unknown[] = [],
): AsyncGenerator<T[]> {
  const next = parameters.length + 3;
  let after: [string, number] | undefined;
  for (;;) {
    const keyset = after ? `AND (source_id, position) > ($${next}, $${next + 1})` : '';
    const page = await selectRows<T & { __source: string; __position: number }>(
      manager,
      `SELECT ${columns}, source_id AS "__source", position AS "__position" FROM task_records
       WHERE task_id = $1 AND (${where}) ${keyset}
       ORDER BY source_id, position LIMIT $2`,
      [taskId, RECORD_PAGE_SIZE, ...parameters, ...(after ?? [])],
    );
    if (page.length === 0) return;
    const last = page[page.length - 1];
    after = [last.__source, last.__position];
    yield page.map(({ __source: _source, __position: _position, ...row }) => row as T);
    if (page.length < RECORD_PAGE_SIZE) return;
  }
}
