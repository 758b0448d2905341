import { Injectable, NotFoundException } from '@nestjs/common';
import { ACTIVE_STATUSES, PAGE_LIMITS, TaskPageDto, TaskResultPageDto, TaskStatsDto } from '@app/contracts';
import { DurationPercentiles, TaskListFilter, TaskQueryStore, TaskRepository, toTaskSummary } from '@app/persistence';
import { resultCursor, taskCursor } from './cursor';
import { ListTasksQueryDto, TaskResultQueryDto } from './dto/task-queries.dto';
import { parseWindow } from './dto/window';
import { notFound } from '../http/not-found';

const DEFAULT_WINDOW = '1h';

/** Turns validated query parameters into a store filter (the DTO has checked every part). */
export function toListFilter(query: ListTasksQueryDto): TaskListFilter {
  return {
    statuses: query.status,
    createdAfter: query.created_after === undefined ? undefined : new Date(query.created_after),
    createdBefore: query.created_before === undefined ? undefined : new Date(query.created_before),
    labels: query.label && Object.fromEntries(query.label.map((pair) => splitOnce(pair, ':'))),
  };
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + 1)];
}

const percentiles = ({ count, p50Ms, p95Ms }: DurationPercentiles) => ({ count, p50_ms: p50Ms, p95_ms: p95Ms });

/** The read side of the task API: lists, statistics and result pages. */
@Injectable()
export class TaskQueriesService {
  constructor(
    private readonly queries: TaskQueryStore,
    private readonly tasks: TaskRepository,
  ) {}

  /** `scope` narrows what the query asks for: to a caller's own tasks, a batch's, the active ones. */
  async list(
    query: ListTasksQueryDto,
    scope: Pick<TaskListFilter, 'owner' | 'statuses' | 'batchId'> = {},
  ): Promise<TaskPageDto> {
    const filter = { ...toListFilter(query), ...scope };
    const page = await this.queries.list(
      filter,
      query.cursor === undefined ? undefined : taskCursor.decode(query.cursor),
      query.limit ?? PAGE_LIMITS.tasks.default,
    );
    return {
      items: page.rows.map(toTaskSummary),
      next_cursor: page.next ? taskCursor.encode(page.next) : null,
    };
  }

  active(query: Omit<ListTasksQueryDto, 'status'>, owner: string | undefined): Promise<TaskPageDto> {
    return this.list(query, { owner, statuses: ACTIVE_STATUSES });
  }

  /** Over one owner's tasks, or everyone's when `owner` is undefined. */
  async stats(window = DEFAULT_WINDOW, owner: string | undefined = undefined): Promise<TaskStatsDto> {
    const seconds = parseWindow(window) ?? 3_600;
    const [counts, stats] = await Promise.all([
      this.tasks.countByStatus(owner),
      this.queries.statistics(seconds, owner),
    ]);
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    return {
      counts: { ...counts, total },
      finished: { last_1m: stats.finished.last1m, last_5m: stats.finished.last5m, last_15m: stats.finished.last15m },
      window,
      durations: {
        queued: percentiles(stats.durations.queued),
        collect: percentiles(stats.durations.collect),
        evaluate: percentiles(stats.durations.evaluate),
        generate: percentiles(stats.durations.generate),
        total: percentiles(stats.durations.total),
      },
      generated_at: new Date().toISOString(),
    };
  }

  /** One page of the result; 404 (with the status) while the task has none. */
  async result(id: string, query: TaskResultQueryDto): Promise<TaskResultPageDto> {
    const offset = query.cursor === undefined ? 0 : (resultCursor.decode(query.cursor) ?? 0);
    const page = await this.resultPage(id, offset, query.limit);
    if (!page) {
      const state = await this.tasks.state(id);
      if (!state) throw notFound('Task', id);
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        message: `Task ${id} has no result (status ${state.status})`,
        status: state.status,
      });
    }
    return page;
  }

  /**
   * `limit` passing records of each dimension from `offset` on, with the cursor of the next page;
   * undefined while the task has no result. GET /tasks/{id} shows the first page.
   */
  async resultPage(
    id: string,
    offset = 0,
    limit: number = PAGE_LIMITS.resultRecords.default,
  ): Promise<TaskResultPageDto | undefined> {
    const page = await this.queries.resultPage(id, offset, limit);
    if (!page) return undefined;
    const more = page.dimensions.some((dimension) => dimension.passed_records_total > offset + limit);
    return { ...page, next_cursor: more ? resultCursor.encode(offset + limit) : null };
  }
}
