import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import type { WorkerOptions } from '@app/config';
import { WorkerConfig, workerOptions } from '@app/config';
import type { CollectOptions } from './collection/collect-task.usecase';

export class CollectorConfig extends WorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3001;

  /** Only the simulator serves sources so far; live HTTP/SQL sources plug in behind the same reader. */
  @IsIn(['simulated']) DATA_SOURCE_MODE = 'simulated' as const;

  /** Sources of one task fetched at once. */
  @IsInt() @Min(1) @Max(256) COLLECT_SOURCE_CONCURRENCY = 8;
  @IsInt() @Min(100) @Max(600_000) COLLECT_SOURCE_TIMEOUT_MS = 10_000;
  @IsInt() @Min(1) @Max(20) COLLECT_MAX_ATTEMPTS = 4;
  @IsInt() @Min(1) @Max(60_000) COLLECT_BACKOFF_BASE_MS = 200;
  @IsInt() @Min(1) @Max(600_000) COLLECT_BACKOFF_MAX_MS = 5_000;

  /** Records per evaluate job: the fan-out granularity of the evaluate stage. */
  @IsInt() @Min(1) @Max(1000) EVALUATE_CHUNK_SIZE = 25;

  @IsInt() @Min(0) @Max(100_000) SIM_SOURCE_RECORDS = 25;
  @IsInt() @Min(0) @Max(600_000) SIM_SOURCE_LATENCY_MIN_MS = 50;
  @IsInt() @Min(0) @Max(600_000) SIM_SOURCE_LATENCY_MAX_MS = 300;
  @IsNumber() @Min(0) @Max(1) SIM_SOURCE_FAILURE_RATE = 0.1;
}

export interface SimulatedSourcesOptions {
  kind: 'simulated';
  seed: number;
  recordsPerSource: number;
  latencyMs: { min: number; max: number };
  failureRate: number;
}

/** The sources DATA_SOURCE_MODE names, with their settings. */
export type SourcesOptions = SimulatedSourcesOptions;

export interface CollectorOptions extends WorkerOptions {
  collect: CollectOptions;
  sources: SourcesOptions;
}

export function collectorOptions(config: CollectorConfig): CollectorOptions {
  return {
    ...workerOptions(config),
    collect: {
      sourceConcurrency: config.COLLECT_SOURCE_CONCURRENCY,
      sourceTimeoutMs: config.COLLECT_SOURCE_TIMEOUT_MS,
      maxAttempts: config.COLLECT_MAX_ATTEMPTS,
      baseDelayMs: config.COLLECT_BACKOFF_BASE_MS,
      maxDelayMs: config.COLLECT_BACKOFF_MAX_MS,
      chunkSize: config.EVALUATE_CHUNK_SIZE,
    },
    sources: sourcesOptions(config),
  };
}

function sourcesOptions(config: CollectorConfig): SourcesOptions {
  switch (config.DATA_SOURCE_MODE) {
    case 'simulated':
      return {
        kind: 'simulated',
        seed: config.SIMULATION_SEED,
        recordsPerSource: config.SIM_SOURCE_RECORDS,
        latencyMs: { min: config.SIM_SOURCE_LATENCY_MIN_MS, max: config.SIM_SOURCE_LATENCY_MAX_MS },
        failureRate: config.SIM_SOURCE_FAILURE_RATE,
      };
  }
}
