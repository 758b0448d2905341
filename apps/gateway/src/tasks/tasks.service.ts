import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { TaskSpec } from '@app/contracts';
import { TaskStage, TaskStatus, TaskViewDto } from '@app/contracts';
import { describeError, withDeadline } from '@app/common';
import { StageDispatcher, TaskEventsPublisher } from '@app/pipeline';
import { OutboxStore, TaskEntity, TaskRepository } from '@app/persistence';
import type { AdmissionLimits } from './admission';
import { ADMISSION_LIMITS, oversizeFields } from './admission';
import { invalidFields } from '../http/validation';
import { SourceRules } from './source-rules';
import { toTaskView } from './task-view.mapper';

/** How long a submission waits for Redis before it gives up and stores nothing. */
const ENQUEUE_DEADLINE_MS = 5_000;
const FAILURES_SHOWN = 100;

@Injectable()
export class TasksService {
  private readonly logger = new Logger(TasksService.name);

  constructor(
    private readonly tasks: TaskRepository,
    private readonly dispatcher: StageDispatcher,
    private readonly events: TaskEventsPublisher,
    private readonly outbox: OutboxStore,
    @Inject(ADMISSION_LIMITS) private readonly admission: AdmissionLimits,
    private readonly sourceRules: SourceRules,
  ) {}

  /**
   * Checks what the sources need to be fetched, admits the task, stores it and queues its first stage;
   * if queueing fails, the task is removed again. A task is stored without a stage until its job is
   * queued, so when the removal fails too, the recovery sweep removes it later instead of running a
   * task its client was told was not stored.
   */
  async submit(spec: TaskSpec, owner: string | null = null): Promise<string> {
    const sourceProblems = this.sourceRules.check(spec.sources);
    if (sourceProblems.length > 0) throw invalidFields(sourceProblems);
    await this.admit(spec);
    const id = randomUUID();
    await this.tasks.create(id, spec, owner);
    try {
      await withDeadline(
        this.dispatcher.dispatch({
          id,
          status: TaskStatus.PENDING,
          stage: TaskStage.COLLECT,
          chunksTotal: null,
          chunksDone: 0,
          recordsTotal: 0,
        }),
        ENQUEUE_DEADLINE_MS,
      );
    } catch (error) {
      this.logger.error({ task_id: id, msg: `could not queue task ${id}: ${describeError(error)}` });
      await this.tasks.remove(id).catch((removeError: unknown) =>
        this.logger.warn({
          task_id: id,
          msg: `could not remove unqueued task ${id} (the recovery sweep will): ${describeError(removeError)}`,
        }),
      );
      throw new ServiceUnavailableException('The task queue is unavailable; the task was not stored. Try again later.');
    }
    // Its job is queued whether or not this lands: the job's start sets the stage as well.
    await this.tasks
      .markQueued(id)
      .catch((error: unknown) =>
        this.logger.warn({ task_id: id, msg: `could not mark task ${id} queued: ${describeError(error)}` }),
      );
    this.logger.log({ task_id: id, msg: `task ${id} accepted` });
    return id;
  }

  /** Refuses a task too big for one client to ask (400), or any task while the service is full (429). */
  private async admit(spec: TaskSpec): Promise<void> {
    const oversize = oversizeFields(spec, this.admission);
    if (oversize.length > 0) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `Task too large: ${oversize.map((entry) => `${entry.field}: ${entry.reasons.join(', ')}`).join('; ')}`,
        fields: oversize,
      });
    }
    const active = await this.tasks.countAllActive();
    if (active >= this.admission.maxActiveTasks) {
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `The service is running ${active} tasks, as many as it takes at once; try again later`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
  }

  async view(id: string): Promise<TaskViewDto> {
    return this.render(await this.load(id));
  }

  /** Cancels an active task everywhere: in Postgres first (the truth), then by broadcast and queue clean-up. */
  async cancel(id: string): Promise<TaskViewDto> {
    const outcome = await this.tasks.cancel(id);
    if (outcome.kind === 'not-found') throw new NotFoundException(`Task ${id} not found`);
    if (outcome.kind === 'already-ended') {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `Task ${id} has already ended with status ${outcome.status}`,
        status: outcome.status,
      });
    }
    this.events.cancelled(id);
    const task = await this.load(id);
    this.events.progress(task, 'cancelled');
    // Not awaited: the answer needs Postgres only (a queued job of an ended task does nothing when it
    // runs), and dropping a big task's thousands of queued chunks took seconds.
    void this.dispatcher
      .discardQueued(id, task.chunksTotal)
      .catch((error: unknown) =>
        this.logger.warn({ task_id: id, msg: `could not discard queued jobs of ${id}: ${describeError(error)}` }),
      );
    this.logger.log({ task_id: id, msg: `task ${id} cancelled` });
    return this.render(task);
  }

  private async load(id: string): Promise<TaskEntity> {
    const task = await this.tasks.findById(id);
    if (!task) throw new NotFoundException(`Task ${id} not found`);
    return task;
  }

  private async render(task: TaskEntity): Promise<TaskViewDto> {
    const [failures, result, deliveries] = await Promise.all([
      this.tasks.failures(task.id, FAILURES_SHOWN),
      this.tasks.result(task.id),
      this.outbox.forTask(task.id),
    ]);
    return toTaskView(task, failures, result, deliveries);
  }
}
