import type { AnalysisKind } from './analysis';
import type { DataSourceType } from './create-task.dto';
import type { NotifySpec } from './notify';
import type { OutputSpec } from './outputs';
import type { ProcessingSpec } from './processing';
import type { TaskPriority } from './task-options';

/**
 * What a task asks for, as everything past the gateway sees it: plain data, stored as the task's
 * `spec`. The gateway maps the validated request (CreateTaskDto, the API's snake_case shape) into it
 * once; the stages, the prompts and the simulators know only this.
 */
export interface TaskSpec {
  sources: SourceSpec[];
  /** Absent only in a task that asks nothing of the LLM (no dimensions, no LLM enrichment). */
  llm?: LlmSpec;
  /** Empty: a pure processing task. */
  dimensions: DimensionSpec[];
  /** The steps' own documented shape (README "Processing chain"), kept as the request gave it. */
  processing?: ProcessingSpec;
  outputs?: OutputSpec[];
  /** Tags to find the task by. */
  labels?: Record<string, string>;
  /** NORMAL when the request left it out. */
  priority?: TaskPriority;
  /** As requested; the server's defaults fill in the rest when the task is accepted. */
  limits?: RequestedLimits;
  /** The webhook told when the task ends. */
  notify?: NotifySpec;
}

export interface RequestedLimits {
  softSeconds?: number;
  hardSeconds?: number;
}

export interface SourceSpec {
  id: string;
  type: DataSourceType;
  /** database: the name of a connection configured on the server (DATA_SOURCE_CONNECTIONS). */
  connection?: string;
  /** database: one read-only SELECT. */
  query?: string;
  /** api: the first page. */
  url?: string;
  /** api: dotted path of the records array inside a JSON object body, e.g. "data.items". */
  recordsPath?: string;
  /** inline: the records themselves. */
  records?: Record<string, unknown>[];
  /** Field holding a record's id; without it a record's id is its position (0, 1, ...). */
  idField?: string;
  /** Field holding what the LLM reads; without it, the whole record. */
  textField?: string;
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
  /** Sent as max_tokens when set. */
  maxTokens?: number;
}

export interface DimensionSpec {
  id: string;
  name: string;
  /** SCORE when the request left it out. */
  kind?: AnalysisKind;
  /** A record passes the dimension when its number (a score, a sentiment's confidence) >= threshold. */
  threshold?: number;
  description?: string;
  /** Kind topics: at most this many per record. */
  topK?: number;
}
