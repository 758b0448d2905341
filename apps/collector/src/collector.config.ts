import { IsIn, IsInt, IsNumber, Max, Min } from 'class-validator';
import { WorkerConfig } from '@app/config';

export class CollectorConfig extends WorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3001;

  /** Only the simulator serves sources so far; live HTTP/SQL sources plug in behind the same reader. */
  @IsIn(['simulated']) DATA_SOURCE_MODE = 'simulated';

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
