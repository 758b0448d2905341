import { Controller, Injectable, Module } from '@nestjs/common';
import { EventPattern as OnEvent, Payload } from '@nestjs/microservices';
import { CancelledError } from '@app/common';
import { EventPattern, TaskCancelledEvent } from '@app/contracts';

/**
 * The in-flight work of this replica, by task: a cancel broadcast aborts every signal handed out for
 * the task, which stops its fetches and LLM calls where they are.
 */
@Injectable()
export class CancellationRegistry {
  private readonly controllers = new Map<string, Set<AbortController>>();

  /** A signal for one job's work on the task; call release() when the job ends. */
  track(taskId: string): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    let forTask = this.controllers.get(taskId);
    if (!forTask) {
      forTask = new Set();
      this.controllers.set(taskId, forTask);
    }
    forTask.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        forTask.delete(controller);
        if (forTask.size === 0 && this.controllers.get(taskId) === forTask) this.controllers.delete(taskId);
      },
    };
  }

  cancel(taskId: string): number {
    const forTask = this.controllers.get(taskId);
    if (!forTask) return 0;
    for (const controller of forTask) controller.abort(new CancelledError(`task ${taskId} was cancelled`));
    return forTask.size;
  }

  get tracked(): number {
    return this.controllers.size;
  }
}

@Controller()
export class CancellationListener {
  constructor(private readonly registry: CancellationRegistry) {}

  @OnEvent(EventPattern.TASK_CANCELLED)
  onCancelled(@Payload() event: TaskCancelledEvent): void {
    this.registry.cancel(event.taskId);
  }
}

/** Import into every worker app whose Redis-transport listener should stop cancelled work. */
@Module({ controllers: [CancellationListener], providers: [CancellationRegistry], exports: [CancellationRegistry] })
export class CancellationModule {}
