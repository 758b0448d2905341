import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import {
  concat,
  concatMap,
  distinctUntilChanged,
  endWith,
  ignoreElements,
  interval,
  map,
  merge,
  of,
  share,
  takeUntil,
  takeWhile,
} from 'rxjs';
import type { TaskSummaryDto } from '@app/contracts';
import { isTerminal } from '@app/contracts';
import { TaskRepository, toTaskSummary } from '@app/persistence';
import { ProgressFeed } from './progress-feed';
import { TasksService } from './tasks.service';

export const STREAM_OPTIONS = Symbol('STREAM_OPTIONS');

export interface StreamOptions {
  /** A heartbeat event this often keeps proxies from closing a quiet stream. */
  heartbeatMs: number;
  /** The task is re-read from Postgres this often besides on every broadcast, which may be lost. */
  pollMs: number;
}

export interface SseMessage {
  type: 'task' | 'progress' | 'heartbeat';
  data: object;
}

/** A progress event: the task's summary (snake_case counters, as GET shows them) and what just happened. */
type ProgressData = TaskSummaryDto & { message: string | null; at: string };

/**
 * A task's live stream: the task now, then its summary whenever a broadcast says it moved or a poll
 * finds it changed, a heartbeat while it runs, and the end as soon as Postgres says the task ended,
 * whether or not the broadcast of that end reached this gateway.
 */
@Injectable()
export class TaskStream {
  constructor(
    @Inject(STREAM_OPTIONS) private readonly options: StreamOptions,
    private readonly tasks: TasksService,
    private readonly repository: TaskRepository,
    private readonly feed: ProgressFeed,
  ) {}

  async open(id: string): Promise<Observable<SseMessage>> {
    const current = await this.tasks.view(id);
    const snapshot = of<SseMessage>({ type: 'task', data: current });
    if (isTerminal(current.status)) return snapshot;

    const broadcasts = this.feed.of(id).pipe(map((event) => event.message));
    const polls = interval(this.options.pollMs).pipe(map((): string | null => null));
    const progress = merge(broadcasts, polls).pipe(
      concatMap(async (message) => this.read(id, message)),
      // A task purged meanwhile ends the stream.
      takeWhile((data): data is ProgressData => data !== undefined),
      // A poll that finds nothing new says nothing; a broadcast always has its message to tell.
      distinctUntilChanged((before, after) => after.message === null && sameState(before, after)),
      takeWhile((data) => !isTerminal(data.status), true),
      map((data): SseMessage => ({ type: 'progress', data })),
      share(),
    );
    const ended = progress.pipe(ignoreElements(), endWith(true));
    const heartbeats = interval(this.options.heartbeatMs).pipe(
      map((): SseMessage => ({ type: 'heartbeat', data: { at: new Date().toISOString() } })),
      takeUntil(ended),
    );
    return concat(snapshot, merge(progress, heartbeats));
  }

  private async read(id: string, message: string | null): Promise<ProgressData | undefined> {
    const task = await this.repository.findById(id);
    return task ? { ...toTaskSummary(task), message, at: new Date().toISOString() } : undefined;
  }
}

function sameState(before: ProgressData, after: ProgressData): boolean {
  return (
    before.status === after.status &&
    before.stage === after.stage &&
    JSON.stringify(before.progress) === JSON.stringify(after.progress)
  );
}
