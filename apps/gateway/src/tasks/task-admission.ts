import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { EffectiveLimits, FieldError, TaskSpec } from '@app/contracts';
import { effectiveLimits, TaskPriority, TaskStage, TaskStatus } from '@app/contracts';
import type { NewTask, TaskState } from '@app/persistence';
import { TaskRepository } from '@app/persistence';
import { invalidFields } from '../http/validation';
import type { AdmissionLimits } from './admission';
import { ADMISSION_LIMITS, oversizeFields } from './admission';
import type { Reservation } from './active-task-ledger';
import { ActiveTaskLedger } from './active-task-ledger';
import { SourceRules } from './source-rules';

export const DEFAULT_LIMITS = Symbol('DEFAULT_LIMITS');

/**
 * How old the count of active tasks that admits a submission may be (ActiveTaskLedger): a count per
 * submission was a statement per group commit, and a scan that grows with the active tasks.
 */
const ACTIVE_COUNT_MAX_AGE_MS = 1_000;

/**
 * The checks of a task that need the server's settings (class-validator has checked its shape): what
 * its sources need to be fetched, its size against the admission limits, the time limits it will run
 * under with the defaults filled in, and room for it among the service's active tasks. One place for
 * single tasks, retries and batches.
 */
@Injectable()
export class TaskAdmission {
  private readonly ledger: ActiveTaskLedger;

  constructor(
    @Inject(DEFAULT_LIMITS) private readonly defaults: EffectiveLimits,
    @Inject(ADMISSION_LIMITS) private readonly admission: AdmissionLimits,
    private readonly sources: SourceRules,
    tasks: TaskRepository,
  ) {
    this.ledger = new ActiveTaskLedger(() => tasks.countAllActive(), ACTIVE_COUNT_MAX_AGE_MS);
  }

  /** The task's limits, or every field error that refuses it (`prefix` names the task in a batch). */
  check(spec: TaskSpec, prefix = ''): EffectiveLimits | FieldError[] {
    const problems = [...this.sources.check(spec.sources), ...oversizeFields(spec, this.admission)].map((problem) => ({
      ...problem,
      field: `${prefix}${problem.field}`,
    }));
    const limits = effectiveLimits(spec.limits, this.defaults);
    if (!limits) {
      const hard = spec.limits?.hardSeconds ?? this.defaults.hardSeconds;
      problems.push({
        field: `${prefix}limits.soft_seconds`,
        reasons: [`soft_seconds must not exceed hard_seconds (${hard})`],
      });
    }
    return limits && problems.length === 0 ? limits : problems;
  }

  /** check() for a single task: the field errors become a 400 like the validation pipe's. */
  limitsOrThrow(spec: TaskSpec): EffectiveLimits {
    const limits = this.check(spec);
    if (Array.isArray(limits)) throw invalidFields(limits);
    return limits;
  }

  /**
   * Room for a batch of `adding` tasks, all or none: their reservation, to settle once they are
   * stored and queued or not; 429 while the service already runs MAX_ACTIVE_TASKS tasks, or would.
   */
  async reserveAll(adding: number): Promise<Reservation> {
    const reservation = await this.ledger.reserve(adding, this.admission.maxActiveTasks, { partial: false });
    if (reservation.fit < adding) throw this.full(reservation.active, adding);
    return reservation;
  }

  /**
   * For `adding` tasks submitted one by one and stored together: the reservation of the first of
   * them that fit under MAX_ACTIVE_TASKS, and the 429 that refuses each of the rest.
   */
  async reserveSome(adding: number): Promise<{ reservation: Reservation; refusal?: HttpException }> {
    const reservation = await this.ledger.reserve(adding, this.admission.maxActiveTasks, { partial: true });
    const { fit, active } = reservation;
    return { reservation, refusal: fit < adding ? this.full(active + fit, 1) : undefined };
  }

  private full(active: number, adding: number): HttpException {
    return new HttpException(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message:
          adding === 1
            ? `The service is running ${active} tasks, as many as it takes at once; try again later`
            : `The service is running ${active} tasks; ${adding} more would pass the ${this.admission.maxActiveTasks} it takes at once; try again later`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** The state of a task just stored, as the dispatcher needs it to queue its first stage. */
export function initialState(task: NewTask): TaskState {
  return {
    id: task.id,
    status: TaskStatus.PENDING,
    stage: TaskStage.COLLECT,
    chunksTotal: null,
    chunksDone: 0,
    recordsTotal: 0,
    priority: task.spec.priority ?? TaskPriority.NORMAL,
  };
}
