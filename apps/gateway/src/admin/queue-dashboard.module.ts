import { BullAdapter } from '@bull-board/api/bullAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import type { DynamicModule } from '@nestjs/common';
import { QueueName } from '@app/contracts';

/** Where the dashboard is served, outside the API prefix. */
export const QUEUE_DASHBOARD_PATH = '/admin/queues';

export interface QueueDashboardOptions {
  readOnly: boolean;
}

/** Bull Board over every queue of the deployment (the app puts it behind the admin login). */
export function queueDashboardModules(options: QueueDashboardOptions): DynamicModule[] {
  return [
    BullBoardModule.forRoot({
      route: QUEUE_DASHBOARD_PATH,
      adapter: FastifyAdapter,
      boardOptions: { uiConfig: { boardTitle: 'dataproc queues' } },
    }),
    ...Object.values(QueueName).map((name) =>
      BullBoardModule.forFeature({ name, adapter: BullAdapter, options: { readOnlyMode: options.readOnly } }),
    ),
  ];
}
