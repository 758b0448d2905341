import type { DataSourceType } from './create-task.dto';

/**
 * What a task asks for, as everything past the gateway sees it: plain data, stored as the task's
 * `spec`. The gateway maps the validated request (CreateTaskDto, the API's snake_case shape) into it
 * once; the stages, the prompts and the simulators know only this.
 */
export interface TaskSpec {
  sources: SourceSpec[];
  llm: LlmSpec;
  dimensions: DimensionSpec[];
}

export interface SourceSpec {
  id: string;
  type: DataSourceType;
  connection?: string;
  url?: string;
  simulation?: SourceSimulation;
}

/** Knobs the data-source simulator honours for one source; real sources ignore them. */
export interface SourceSimulation {
  records?: number;
  failureRate?: number;
  latencyMs?: number;
}

export interface LlmSpec {
  model: string;
  /** DEFAULT_TEMPERATURE when the request left it out. */
  temperature?: number;
}

export interface DimensionSpec {
  id: string;
  name: string;
  /** A record passes the dimension when its score >= threshold. */
  threshold: number;
  description?: string;
}
