import { Inject, Injectable, Logger, PayloadTooLargeException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { BatchViewDto, CreateBatchDto, FieldError, TaskPageDto } from '@app/contracts';
import type { NewTask } from '@app/persistence';
import { BatchStore, OutboxStore, toBatchView } from '@app/persistence';
import { invalidFields } from '../http/validation';
import type { ListTasksQueryDto } from '../tasks/dto/task-queries.dto';
import { TaskAdmission } from '../tasks/task-admission';
import { TaskIntake } from '../tasks/task-intake';
import { TaskQueriesService } from '../tasks/task-queries.service';
import { toNotifySpec, toTaskSpec } from '../tasks/task-spec.mapper';
import { toNotificationView } from '../tasks/task-view.mapper';
import { notFound } from '../http/not-found';

export const BATCH_OPTIONS = Symbol('BATCH_OPTIONS');

export interface BatchOptions {
  /** Tasks one batch may hold (BATCH_MAX_TASKS). */
  maxTasks: number;
}

const ERRORS_SHOWN = 10;

/** Batches: validated whole, stored whole, queued whole; read back as an aggregate of their tasks. */
@Injectable()
export class BatchesService {
  private readonly logger = new Logger(BatchesService.name);

  constructor(
    @Inject(BATCH_OPTIONS) private readonly options: BatchOptions,
    private readonly batches: BatchStore,
    private readonly outbox: OutboxStore,
    private readonly admission: TaskAdmission,
    private readonly intake: TaskIntake,
    private readonly queries: TaskQueriesService,
  ) {}

  /**
   * Every task is checked before anything is stored (the pipe has checked their shapes), and the
   * service must have room for all of them; then the batch and all its tasks are stored for `owner`
   * and queued in one go, or none of it with a 503 (TaskIntake).
   */
  async submit(batch: CreateBatchDto, owner: string | null): Promise<{ id: string; taskIds: string[] }> {
    this.ensureSize(batch);
    const tasks: NewTask[] = [];
    const problems: FieldError[] = [];
    batch.tasks.map(toTaskSpec).forEach((spec, index) => {
      const limits = this.admission.check(spec, `tasks[${index}].`);
      if (Array.isArray(limits)) problems.push(...limits);
      else tasks.push({ id: randomUUID(), spec, limits, owner });
    });
    if (problems.length > 0) throw invalidFields(problems);

    const id = randomUUID();
    await this.intake.acceptBatch(id, owner, tasks, batch.notify && toNotifySpec(batch.notify));
    this.logger.log({ batch_id: id, msg: `batch ${id} of ${tasks.length} tasks accepted` });
    return { id, taskIds: tasks.map((task) => task.id) };
  }

  /** 413 naming the cap for a batch over BATCH_MAX_TASKS; checked before anything else about the batch. */
  ensureSize(batch: CreateBatchDto): void {
    if (batch.tasks.length <= this.options.maxTasks) return;
    throw new PayloadTooLargeException({
      statusCode: 413,
      error: 'Payload Too Large',
      message: `A batch holds at most ${this.options.maxTasks} tasks (BATCH_MAX_TASKS); this one has ${batch.tasks.length}`,
      max_tasks: this.options.maxTasks,
    });
  }

  async view(id: string): Promise<BatchViewDto> {
    const [outcome, notify, deliveries] = await Promise.all([
      this.batches.outcome(id, ERRORS_SHOWN),
      this.batches.notifyOf(id),
      this.outbox.forBatch(id),
    ]);
    if (!outcome) throw notFound('Batch', id);
    return { ...toBatchView(outcome.aggregate, outcome.errors), notification: toNotificationView(notify, deliveries) };
  }

  async tasks(id: string, query: ListTasksQueryDto): Promise<TaskPageDto> {
    if ((await this.batches.ownerOf(id)) === undefined) throw notFound('Batch', id);
    return this.queries.list(query, { batchId: id });
  }
}
