import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger, Module } from '@nestjs/common';
import { DeliveryDispatcher, SmtpMailer } from '@app/delivery';
import { ExportStore, OutboxStore, TaskRepository } from '@app/persistence';
import type { ResultGeneratorOptions } from '../result-generator.config';
import { OutputDeliveries } from './output-deliveries';

const MAILER = Symbol('MAILER');

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

/** Delivers the outputs of finished tasks (webhook exports, e-mails) from the outbox. */
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
          inject: [OutboxStore, TaskRepository, ExportStore, MAILER],
          useFactory: (outbox: OutboxStore, tasks: TaskRepository, exports: ExportStore, mailer?: SmtpMailer) =>
            new DeliveryDispatcher(
              outbox,
              new OutputDeliveries(tasks, exports, mailer).handlers(),
              outputs.delivery,
              new Logger(DeliveryDispatcher.name),
            ),
        },
        DeliveryLoop,
      ],
    };
  }
}
