import type { QueueName } from '@app/contracts';

/** What an app's health and metrics endpoints cover. */
export interface ObservabilityOptions {
  /** The `app` label on every metric of this process (gateway, collector, ...). */
  app: string;
  /** Queues the app depends on: readiness checks each one, /metrics reports their depth per state. */
  queues: readonly QueueName[];
  /** Report tasks by status (one GROUP BY per scrape: one app of the deployment is enough). */
  taskCounts: boolean;
}

export const OBSERVABILITY_OPTIONS = Symbol('OBSERVABILITY_OPTIONS');

/** Paths the observability controllers serve, outside any API prefix, the same on every app. */
export const OBSERVABILITY_PATHS = ['health/live', 'health/ready', 'metrics'] as const;
