import type { NotificationSpec, NotifySpec } from '@app/contracts';
import { NOTIFY_DELIVERY } from '@app/contracts';
import type { Delivery, DeliveryHandler, DeliveryReceipt } from '@app/delivery';
import { DeliveryError, postWebhook, signature } from '@app/delivery';
import type { OutboundHttpClient } from '@app/outbound';
import type { BatchStore, TaskRepository } from '@app/persistence';
import { toBatchView, toTaskSummary } from '@app/persistence';

/** The first errors a batch.completed event lists, as GET /batches/{id} does. */
const BATCH_ERRORS_SHOWN = 10;

/**
 * Tells a webhook that a task or a batch has ended: `{"event": …, …its summary as GET shows it}`,
 * signed with the secret the request gave (X-Signature: sha256=<hex HMAC-SHA256 of the raw body>) and
 * carrying the delivery's id (X-Event-Id) for the receiver to drop repeats. The summary is read when
 * the attempt is made; the event is what the end decided.
 */
export class Notifications {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly batches: BatchStore,
    private readonly http: OutboundHttpClient,
  ) {}

  handlers(): Record<string, DeliveryHandler> {
    return { [NOTIFY_DELIVERY.kind]: (delivery, signal) => this.notify(delivery, signal) };
  }

  private async notify(delivery: Delivery, signal: AbortSignal): Promise<DeliveryReceipt> {
    const { event, url } = delivery.spec as NotificationSpec;
    const { notify, summary } = await this.subject(delivery);
    const body = JSON.stringify({ event, ...summary });
    return postWebhook(
      this.http,
      {
        url,
        headers: {
          'content-type': 'application/json',
          'x-event-id': delivery.id,
          'x-signature': signature(notify.webhook.secret, body),
          'x-dataproc-event': event,
        },
        body,
      },
      signal,
    );
  }

  private async subject(delivery: Delivery): Promise<{ notify: NotifySpec; summary: object }> {
    if (delivery.taskId !== null) {
      const task = await this.tasks.findById(delivery.taskId);
      if (!task?.spec.notify) throw new DeliveryError(`task ${delivery.taskId} no longer exists`, false);
      return { notify: task.spec.notify, summary: toTaskSummary(task) };
    }
    const batchId = delivery.batchId ?? '';
    const [notify, outcome] = await Promise.all([
      this.batches.notifyOf(batchId),
      this.batches.outcome(batchId, BATCH_ERRORS_SHOWN),
    ]);
    if (!notify || !outcome) throw new DeliveryError(`batch ${batchId} no longer exists`, false);
    return { notify, summary: toBatchView(outcome.aggregate, outcome.errors) };
  }
}
