import { IsInt, IsNumber, Max, Min } from 'class-validator';
import type { DatabaseConnection, WorkerOptions } from '@app/config';
import { parseConnections, WorkerConfig, workerOptions } from '@app/config';
import type { CollectOptions } from './collection/collect-task.usecase';

export class CollectorConfig extends WorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3001;

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
  /** Bytes of one HTTP response of an api source; a larger body is cut and fails the source. */
  @IsInt() @Min(1024) @Max(10 * 1024 * 1024 * 1024) DATA_SOURCE_MAX_BYTES = 100 * 1024 * 1024;
  /** Records one source may deliver; a source with more fails. */
  @IsInt() @Min(1) @Max(100_000_000) DATA_SOURCE_MAX_RECORDS = 1_000_000;
  /** Pages of an api source followed through Link or `next`. */
  @IsInt() @Min(1) @Max(100_000) DATA_SOURCE_MAX_PAGES = 1000;
  /** Limit of one statement of a database source on its server. */
  @IsInt() @Min(100) @Max(3_600_000) DATA_SOURCE_STATEMENT_TIMEOUT_MS = 30_000;
  /** Records stored per batch while a source streams in: what one source holds in memory at once. */
  @IsInt() @Min(1) @Max(10_000) DATA_SOURCE_BATCH_SIZE = 1000;
}

/** The data-source simulator's settings: it serves every source in simulated mode, and in live mode a source with simulation knobs. */
export interface SourceSimulatorOptions {
  seed: number;
  recordsPerSource: number;
  latencyMs: { min: number; max: number };
  failureRate: number;
}

/** Bounds of every source, inline ones included. */
export interface SourceLimitsOptions {
  maxRecords: number;
  batchSize: number;
}

/** What fetching sources for real takes. */
export interface LiveFetchOptions {
  /** OUTBOUND_ALLOWED_HOSTS: the non-public hosts and networks an api source may reach. */
  allowedHosts: string;
  connections: ReadonlyMap<string, DatabaseConnection>;
  maxBytes: number;
  maxPages: number;
  statementTimeoutMs: number;
}

export interface SimulatedSourcesOptions {
  kind: 'simulated';
  simulator: SourceSimulatorOptions;
  limits: SourceLimitsOptions;
}

export interface LiveSourcesOptions {
  kind: 'live';
  simulator: SourceSimulatorOptions;
  limits: SourceLimitsOptions;
  live: LiveFetchOptions;
}

/** The sources DATA_SOURCE_MODE names, with their settings. */
export type SourcesOptions = SimulatedSourcesOptions | LiveSourcesOptions;

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
  const simulator = {
    seed: config.SIMULATION_SEED,
    recordsPerSource: config.SIM_SOURCE_RECORDS,
    latencyMs: { min: config.SIM_SOURCE_LATENCY_MIN_MS, max: config.SIM_SOURCE_LATENCY_MAX_MS },
    failureRate: config.SIM_SOURCE_FAILURE_RATE,
  };
  const limits = { maxRecords: config.DATA_SOURCE_MAX_RECORDS, batchSize: config.DATA_SOURCE_BATCH_SIZE };
  switch (config.DATA_SOURCE_MODE) {
    case 'simulated':
      return { kind: 'simulated', simulator, limits };
    case 'live':
      return {
        kind: 'live',
        simulator,
        limits,
        live: {
          allowedHosts: config.OUTBOUND_ALLOWED_HOSTS,
          connections: parseConnections(config.DATA_SOURCE_CONNECTIONS),
          maxBytes: config.DATA_SOURCE_MAX_BYTES,
          maxPages: config.DATA_SOURCE_MAX_PAGES,
          statementTimeoutMs: config.DATA_SOURCE_STATEMENT_TIMEOUT_MS,
        },
      };
  }
}
