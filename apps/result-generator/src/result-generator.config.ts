import { IsInt, Max, Min } from 'class-validator';
import type { LlmOptions, WorkerOptions } from '@app/config';
import { llmOptions, LlmWorkerConfig, workerOptions } from '@app/config';

export class ResultGeneratorConfig extends LlmWorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3003;

  /** Dimensions of one task reported at once. */
  @IsInt() @Min(1) @Max(64) GENERATE_DIMENSION_CONCURRENCY = 8;
  /** Passing records listed per dimension in the result (the statistics always cover all of them). */
  @IsInt() @Min(0) @Max(1_000_000) RESULT_MAX_PASSED_RECORDS = 10_000;
}

export interface ResultGeneratorOptions extends WorkerOptions {
  llm: LlmOptions;
  dimensionConcurrency: number;
  maxPassedRecords: number;
}

export function resultGeneratorOptions(config: ResultGeneratorConfig): ResultGeneratorOptions {
  return {
    ...workerOptions(config),
    llm: llmOptions(config),
    dimensionConcurrency: config.GENERATE_DIMENSION_CONCURRENCY,
    maxPassedRecords: config.RESULT_MAX_PASSED_RECORDS,
  };
}
