export type { DataSourceSimulatorOptions } from './data-source.simulator';
export { DataSourceSimulator } from './data-source.simulator';
export type { LlmSimulatorOptions } from './llm.simulator';
export { LlmSimulator } from './llm.simulator';
export type { RequestWindow } from './request-window';
export { REQUEST_WINDOW_MS } from './request-window';
export { InMemoryRequestWindow } from './in-memory-request-window';
export { RedisRequestWindow } from './redis-request-window';
export type { LatencyRange } from './simulation-noise.util';
