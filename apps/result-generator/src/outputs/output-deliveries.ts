import type { EmailOutput, ExportOutput } from '@app/contracts';
import { EXPORT_CONTENT_TYPES, OUTPUT_DELIVERY_KINDS } from '@app/contracts';
import type { Delivery, DeliveryHandler, DeliveryReceipt, SmtpMailer } from '@app/delivery';
import { DeliveryError, postWebhook } from '@app/delivery';
import { renderExport } from '@app/export';
import type { OutboundHttpClient } from '@app/outbound';
import type { ExportStore, TaskEntity, TaskRepository } from '@app/persistence';
import { emailSummary } from './email-summary';

/**
 * What each output of a finished task does when the outbox delivers it: an export posted to a
 * webhook (rendered from Postgres as it is sent, through the outbound guard), or a summary e-mailed.
 * The delivery id travels with both (header, Message-ID) so a receiver can drop a repeat.
 */
export class OutputDeliveries {
  constructor(
    private readonly tasks: TaskRepository,
    private readonly exports: ExportStore,
    private readonly mailer: SmtpMailer | undefined,
    private readonly http: OutboundHttpClient,
  ) {}

  handlers(): Record<string, DeliveryHandler> {
    return {
      [OUTPUT_DELIVERY_KINDS.export]: (delivery, signal) => this.postExport(delivery, signal),
      [OUTPUT_DELIVERY_KINDS.email]: (delivery, signal) => this.sendEmail(delivery, signal),
    };
  }

  private async postExport(delivery: Delivery, signal: AbortSignal): Promise<DeliveryReceipt> {
    const output = delivery.spec as ExportOutput;
    const task = await this.task(delivery.taskId);
    const dimensions = task.spec.dimensions;
    const fieldNames = output.format === 'csv' ? await this.exports.fieldNames(task.id) : [];
    const body = renderExport(
      output.format,
      { fieldNames, dimensionIds: dimensions.map((dimension) => dimension.id) },
      this.exports.records(task.id, dimensions),
    );
    return postWebhook(
      this.http,
      {
        url: output.url,
        headers: {
          'content-type': EXPORT_CONTENT_TYPES[output.format],
          'x-dataproc-event': 'task.export',
          'x-dataproc-task-id': task.id,
          'x-dataproc-delivery-id': delivery.id,
        },
        body,
      },
      signal,
    );
  }

  private async sendEmail(delivery: Delivery, signal: AbortSignal): Promise<void> {
    if (!this.mailer) throw new DeliveryError('e-mail is not configured (SMTP_URL is empty)', false);
    const output = delivery.spec as EmailOutput;
    const task = await this.task(delivery.taskId);
    const summary = emailSummary(task, await this.tasks.result(task.id));
    await this.mailer.send(
      {
        to: output.to,
        subject: output.subject ?? summary.subject,
        text: summary.text,
        messageId: `<${delivery.id}@dataproc>`,
      },
      signal,
    );
  }

  private async task(taskId: string | null): Promise<TaskEntity> {
    const task = taskId === null ? null : await this.tasks.findById(taskId);
    if (!task) throw new DeliveryError(`task ${taskId} no longer exists`, false);
    return task;
  }
}
