import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { STAGE_QUEUES, TaskStage } from '@app/contracts';
import { LLM_OBSERVER } from '@app/llm';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { OBSERVABILITY_OPTIONS, ObservabilityOptions } from './observability.options';
import { PipelineMetrics } from './pipeline-metrics';
import { ReadinessChecks } from './readiness-checks';

/**
 * /health/live, /health/ready and /metrics for any app, workers and gateway alike. Needs the app's
 * Postgres, Redis and queue modules (global in every app).
 */
@Module({})
export class ObservabilityModule {
  static forRoot(options: ObservabilityOptions): DynamicModule {
    return {
      module: ObservabilityModule,
      // Global: the LLM client and the stages report to the app's one registry wherever they sit.
      global: true,
      // Terminus logs a failed check itself; JSON keeps it on one line.
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: OBSERVABILITY_OPTIONS, useValue: options },
        ReadinessChecks,
        PipelineMetrics,
        { provide: LLM_OBSERVER, useExisting: PipelineMetrics },
      ],
      exports: [PipelineMetrics, LLM_OBSERVER],
    };
  }

  /** A stage worker: checked and measured on the queue it works; tasks are counted by the gateway. */
  static forWorker(app: string, stage: TaskStage): DynamicModule {
    return ObservabilityModule.forRoot({ app, queues: [STAGE_QUEUES[stage].queue], taskCounts: false });
  }
}
