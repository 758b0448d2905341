import type { BeforeApplicationShutdown } from '@nestjs/common';
import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import type { NotifySpec } from '@app/contracts';
import type { GroupOutcome } from '@app/common';
import { describeError, GroupCommit, withDeadline } from '@app/common';
import type { NewTask } from '@app/persistence';
import { BatchStore, TaskRepository } from '@app/persistence';
import { StageDispatcher } from '@app/pipeline';
import type { Reservation } from './active-task-ledger';
import { initialState, TaskAdmission } from './task-admission';

/** How long a submission waits for Redis before it gives up and stores nothing. */
const ENQUEUE_DEADLINE_MS = 5_000;

/**
 * Single submissions stored by one commit at most. Bounds one INSERT's JSON and one addBulk; the
 * groups of a busy gateway are about as large as its concurrent requests.
 */
const MAX_GROUP_SIZE = 200;

/**
 * Group commits under way at once: one group's round trips (INSERT, addBulk) then overlap the next
 * group's instead of holding it back, while the groups stay large under load.
 */
const MAX_CONCURRENT_COMMITS = 4;

/**
 * How long the ids of just-queued tasks gather before one UPDATE marks them all. Nobody waits for the
 * mark (a job's start sets the stage as well), and one UPDATE per group commit was half the gateway's
 * statements when the groups are small.
 */
const MARK_QUEUED_LINGER_MS = 50;
const MAX_MARKED_PER_UPDATE = 1_000;

/**
 * Stores accepted tasks and queues their first stage: all of a submission, or none of it with a 503.
 * Tasks are stored without a stage, queued, then marked queued; when queueing fails they are removed
 * again, and when that fails too the recovery sweep removes them (they never had a stage), so a task
 * whose client heard 503 never runs.
 *
 * Single submissions that arrive together share one group commit (ADR 18): one INSERT, one addBulk
 * and one UPDATE (not awaited) for the lot, admitted on the ledger of active tasks (ActiveTaskLedger)
 * instead of a count each.
 */
@Injectable()
export class TaskIntake implements BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskIntake.name);
  private readonly singles = new GroupCommit<NewTask, void>(
    (tasks) => this.commitSingles(tasks),
    MAX_GROUP_SIZE,
    MAX_CONCURRENT_COMMITS,
  );
  private readonly marks = new GroupCommit<string, void>(
    (ids) => this.markQueued(ids),
    MAX_MARKED_PER_UPDATE,
    1,
    MARK_QUEUED_LINGER_MS,
  );

  constructor(
    private readonly tasks: TaskRepository,
    private readonly batches: BatchStore,
    private readonly dispatcher: StageDispatcher,
    private readonly admission: TaskAdmission,
  ) {}

  /** Stores and queues one task, admitted against MAX_ACTIVE_TASKS (429 when it is reached). */
  accept(task: NewTask): Promise<void> {
    return this.singles.submit(task);
  }

  /** Stores a batch with all its tasks in one transaction and queues them all, or none (429, 503). */
  async acceptBatch(batchId: string, owner: string | null, tasks: NewTask[], notify?: NotifySpec): Promise<void> {
    const reservation = await this.admission.reserveAll(tasks.length);
    await this.storeUnder(reservation, async () => {
      await this.batches.create(batchId, owner, tasks, notify);
      await this.queueOrUndo(tasks, {
        noun: 'batch',
        what: `batch ${batchId}`,
        undo: () => this.batches.remove(batchId),
      });
    });
  }

  /** The tasks that still fit under MAX_ACTIVE_TASKS, in their order, go; the rest are refused. */
  private async commitSingles(tasks: NewTask[]): Promise<GroupOutcome<void>[]> {
    const { reservation, refusal } = await this.admission.reserveSome(tasks.length);
    const { fit } = reservation;
    const admitted = tasks.slice(0, fit);
    if (admitted.length > 0) {
      await this.storeUnder(reservation, async () => {
        await this.tasks.create(...admitted);
        const ids = admitted.map((task) => task.id);
        await this.queueOrUndo(admitted, {
          noun: 'task',
          what: ids.length === 1 ? `task ${ids[0]}` : `${ids.length} tasks (${ids.join(', ')})`,
          undo: () => this.tasks.remove(...ids),
        });
      });
    }
    return tasks.map((_, index) => (index < fit ? { value: undefined } : { error: refusal }));
  }

  /** Stores tasks admitted by `reservation`, which counts them as stored only when `store` succeeds. */
  private async storeUnder(reservation: Reservation, store: () => Promise<void>): Promise<void> {
    let stored = false;
    try {
      await store();
      stored = true;
    } finally {
      reservation.settle(stored);
    }
  }

  private async queueOrUndo(
    tasks: NewTask[],
    { noun, what, undo }: { noun: 'task' | 'batch'; what: string; undo: () => Promise<unknown> },
  ): Promise<void> {
    try {
      await withDeadline(this.dispatcher.dispatchAll(tasks.map(initialState)), ENQUEUE_DEADLINE_MS);
    } catch (error) {
      this.logger.error({ msg: `could not queue ${what}: ${describeError(error)}` });
      await undo().catch((undoError: unknown) =>
        this.logger.warn({
          msg: `could not remove unqueued ${what} (the recovery sweep will): ${describeError(undoError)}`,
        }),
      );
      throw new ServiceUnavailableException(
        `The task queue is unavailable; the ${noun} was not stored. Try again later.`,
      );
    }
    // Not awaited: their jobs are queued whether or not this lands (each job's start sets the stage as
    // well), so the answer does not wait for it.
    for (const task of tasks) void this.marks.submit(task.id);
  }

  /** The marks still gathering go before the database connection closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.marks.flush();
  }

  private async markQueued(ids: string[]): Promise<GroupOutcome<void>[]> {
    await this.tasks.markQueued(...ids).catch((error: unknown) =>
      this.logger.warn({
        msg: `could not mark ${ids.length} queued tasks (${ids.join(', ')}): ${describeError(error)}`,
      }),
    );
    return ids.map(() => ({ value: undefined }));
  }
}
