import { IsInt, Max, Min } from 'class-validator';
import type { LlmOptions, WorkerOptions } from '@app/config';
import { llmOptions, LlmWorkerConfig, workerOptions } from '@app/config';

export class EvaluatorConfig extends LlmWorkerConfig {
  /** Next to the gateway's 3000 and the other workers' ports, so `npm start` runs all four on one host. */
  override HEALTH_PORT = 3002;

  /** Records of one chunk scored at once (each on all dimensions); LLM_MAX_CONCURRENCY caps the calls. */
  @IsInt() @Min(1) @Max(1024) EVALUATE_RECORD_CONCURRENCY = 8;
}

export interface EvaluatorOptions extends WorkerOptions {
  llm: LlmOptions;
  recordConcurrency: number;
}

export function evaluatorOptions(config: EvaluatorConfig): EvaluatorOptions {
  return { ...workerOptions(config), llm: llmOptions(config), recordConcurrency: config.EVALUATE_RECORD_CONCURRENCY };
}
