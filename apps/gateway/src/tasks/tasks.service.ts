import { ConflictException, Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TaskSpec, TaskUsageDto } from '@app/contracts';
import { isTerminal, TaskStatus, TaskViewDto } from '@app/contracts';
import { StageDispatcher, TaskEventsPublisher, TaskStopper } from '@app/pipeline';
import { OutboxStore, TaskEntity, TaskRepository } from '@app/persistence';
import { TaskAdmission } from './task-admission';
import { TaskIntake } from './task-intake';
import { TaskQueriesService } from './task-queries.service';
import { toTaskView } from './task-view.mapper';
import { notFound } from '../http/not-found';

const FAILURES_SHOWN = 100;
/** How long a purge waits for the task's jobs in hand to stop (they do on the cancel broadcast, within ms). */
const PURGE_JOBS_DEADLINE_MS = 10_000;

@Injectable()
export class TasksService {
  private readonly logger = new Logger(TasksService.name);

  constructor(
    private readonly tasks: TaskRepository,
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
    private readonly outbox: OutboxStore,
    private readonly admission: TaskAdmission,
    private readonly intake: TaskIntake,
    private readonly queries: TaskQueriesService,
    private readonly stopper: TaskStopper,
  ) {}

  /**
   * Admits the task (400 too large or impossible limits, 429 while the service is full), then stores
   * it for its owner (the API key's name; null when the API is open) and queues its first stage, or
   * answers 503 with nothing stored (TaskIntake).
   */
  async submit(spec: TaskSpec, owner: string | null, origin: { retryOf?: string } = {}): Promise<string> {
    const limits = this.admission.limitsOrThrow(spec);
    const id = randomUUID();
    await this.intake.accept({ id, spec, limits, owner, ...origin });
    this.logger.log({ task_id: id, msg: `task ${id} accepted` });
    return id;
  }

  async view(id: string): Promise<TaskViewDto> {
    const { task, usage } = await this.loadWithUsage(id);
    return this.render(task, usage);
  }

  /** Cancels an active task everywhere: in Postgres first (the truth), then by broadcast and queue clean-up. */
  async cancel(id: string): Promise<TaskViewDto> {
    const outcome = await this.tasks.cancel(id);
    if (outcome.kind === 'not-found') throw notFound('Task', id);
    if (outcome.kind === 'already-ended') {
      throw this.conflict(outcome.status, `Task ${id} has already ended with status ${outcome.status}`);
    }
    const { task, usage } = await this.loadWithUsage(id);
    // Not awaited: the answer needs Postgres only (a queued job of an ended task does nothing when it
    // runs), and dropping a big task's thousands of queued chunks took seconds.
    void this.stopper.stop(task, 'cancelled');
    this.logger.log({ task_id: id, msg: `task ${id} cancelled` });
    return this.render(task, usage);
  }

  /**
   * A new task with the same specification as an ended one, linked to it by retry_of. It belongs to
   * whoever asked for the retry: the original's owner, or an admin key (which then sees it as its own).
   */
  async retry(id: string, owner: string | null): Promise<string> {
    const task = await this.load(id);
    if (!isTerminal(task.status)) {
      throw this.conflict(task.status, `Task ${id} is still ${task.status}; cancel it first or wait for its end`);
    }
    return this.submit(task.spec, owner, { retryOf: id });
  }

  /**
   * Cancels the task if it is active, then removes every trace of it: its jobs from Redis (waiting
   * for those in hand to stop), then its rows from Postgres. When a job cannot be removed in time
   * the rows stay, so that the purge can simply be repeated.
   */
  async purge(id: string): Promise<void> {
    const outcome = await this.tasks.cancel(id);
    if (outcome.kind === 'not-found') throw notFound('Task', id);
    if (outcome.kind === 'cancelled') this.events.cancelled(id);
    // Read after the cancel: the task can no longer move, so its chunk count is final.
    const state = await this.tasks.state(id);
    if (!state) return;
    const left = await this.dispatcher.removeAll(id, state.chunksTotal, PURGE_JOBS_DEADLINE_MS);
    if (left.length > 0) {
      this.logger.warn({ task_id: id, msg: `purge of ${id}: jobs still held by a worker: ${left.join(', ')}` });
      throw new ServiceUnavailableException(
        `Task ${id} is cancelled, but ${left.length} of its jobs are still held by a worker; purge again shortly`,
      );
    }
    await this.tasks.remove(id);
    this.logger.log({ task_id: id, msg: `task ${id} purged` });
  }

  /** A 409 that carries the task's status beside the message. */
  private conflict(status: TaskStatus, message: string): ConflictException {
    return new ConflictException({ statusCode: 409, error: 'Conflict', message, status });
  }

  private async load(id: string): Promise<TaskEntity> {
    const task = await this.tasks.findById(id);
    if (!task) throw notFound('Task', id);
    return task;
  }

  /** The task with its LLM usage so far, read in one statement: what its view shows. */
  private async loadWithUsage(id: string): Promise<{ task: TaskEntity; usage: TaskUsageDto }> {
    const found = await this.tasks.findWithUsage(id);
    if (!found) throw notFound('Task', id);
    return found;
  }

  /**
   * Reads only what the task's row says can exist, as clients poll running tasks: its failures once
   * its counters count one (a source's refused records count when the source settles), and its
   * result and deliveries once it has ended (the statement that ends a task stores them).
   */
  private async render(task: TaskEntity, usage: TaskUsageDto): Promise<TaskViewDto> {
    const ended = isTerminal(task.status);
    const [failures, result, deliveries] = await Promise.all([
      task.sourcesFailed + task.recordsFailed > 0 ? this.tasks.failures(task.id, FAILURES_SHOWN) : [],
      ended ? this.queries.resultPage(task.id) : undefined,
      ended ? this.outbox.forTask(task.id) : [],
    ]);
    return toTaskView(task, failures, result, usage, deliveries);
  }
}
