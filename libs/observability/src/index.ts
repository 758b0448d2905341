export { ObservabilityModule } from './observability.module';
export { OBSERVABILITY_PATHS } from './observability.options';
export type { ObservabilityOptions } from './observability.options';
export { METRIC_PREFIX, PipelineMetrics } from './pipeline-metrics';
export { answerRequestId, loggingModule, requestIdOptions, usePinoLogger } from './logging.module';
export { instrumentHttp } from './http-metrics';
