import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { NOTIFY_DELIVERY, OUTPUT_DELIVERY_KINDS } from '@app/contracts';
import { DeliveryDispatcher, SmtpMailer } from '@app/delivery';
import { PipelineMetrics } from '@app/observability';
import { OutboundGuard, OutboundHttpClient } from '@app/outbound';
import { BatchStore, ExportStore, OutboxStore, TaskRepository } from '@app/persistence';
import type { ResultGeneratorOptions } from '../result-generator.config';
import { Notifications } from './notifications';
import { OutputDeliveries } from './output-deliveries';

const MAILER = Symbol('MAILER');

/** The kinds that POST to a webhook (dataproc_webhook_deliveries_total counts their attempts). */
const WEBHOOK_KINDS = new Set<string>([OUTPUT_DELIVERY_KINDS.export, NOTIFY_DELIVERY.kind]);

/** Runs the outbox dispatcher in this app for as long as it is up. */
@Injectable()
class DeliveryLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(MAILER) private readonly mailer: SmtpMailer | undefined,
  ) {}

  onApplicationBootstrap(): void {
    this.dispatcher.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.stop();
    this.mailer?.close();
  }
}

/**
 * Delivers the outbox: the outputs of finished tasks (webhook exports, e-mails) and the webhook
 * notifications of ended tasks and batches. Every webhook goes through the one outbound guard.
 */
@Module({})
export class OutputsModule {
  static forRoot({ outputs }: ResultGeneratorOptions): DynamicModule {
    return {
      module: OutputsModule,
      providers: [
        {
          provide: MAILER,
          useFactory: () =>
            outputs.smtpUrl
              ? new SmtpMailer(outputs.smtpUrl, outputs.smtpFrom, outputs.delivery.attemptTimeoutMs)
              : undefined,
        },
        {
          provide: DeliveryDispatcher,
          inject: [OutboxStore, TaskRepository, BatchStore, ExportStore, MAILER, PipelineMetrics],
          useFactory: (
            outbox: OutboxStore,
            tasks: TaskRepository,
            batches: BatchStore,
            exports: ExportStore,
            mailer: SmtpMailer | undefined,
            metrics: PipelineMetrics,
          ) => {
            const http = new OutboundHttpClient(new OutboundGuard(outputs.allowedHosts));
            return new DeliveryDispatcher(
              outbox,
              {
                ...new OutputDeliveries(tasks, exports, mailer, http).handlers(),
                ...new Notifications(tasks, batches, http).handlers(),
              },
              outputs.delivery,
              new Logger(DeliveryDispatcher.name),
              (kind, outcome) => {
                if (WEBHOOK_KINDS.has(kind)) metrics.webhookDelivery(outcome);
              },
            );
          },
        },
        DeliveryLoop,
      ],
    };
  }
}
