import type {
  CreateTaskDto,
  DataSourceDto,
  DimensionDto,
  DimensionSpec,
  NotifyDto,
  NotifySpec,
  SourceSimulation,
  SourceSpec,
  SourceSimulationDto,
  TaskSpec,
} from '@app/contracts';
import { HIDDEN_SECRET } from '@app/contracts';

/**
 * The request becomes the domain here, once: the validated CreateTaskDto (snake_case, validation and
 * Swagger decorators) maps to the plain TaskSpec that is stored and read by every stage. Optional
 * fields the request left out stay out, so the task view can give back the request as it came.
 */
export function toTaskSpec(request: CreateTaskDto): TaskSpec {
  const { llm_config: llm } = request;
  return {
    sources: request.data_sources.map(toSourceSpec),
    ...(llm ? { llm: { model: llm.model, ...defined({ temperature: llm.temperature }) } } : {}),
    dimensions: request.dimensions.map(toDimensionSpec),
    ...defined({ processing: request.processing, outputs: request.outputs }),
    ...defined({ labels: request.labels, priority: request.priority }),
    ...(request.limits
      ? { limits: defined({ softSeconds: request.limits.soft_seconds, hardSeconds: request.limits.hard_seconds }) }
      : {}),
    ...(request.notify ? { notify: toNotifySpec(request.notify) } : {}),
  };
}

export function toNotifySpec(notify: NotifyDto): NotifySpec {
  return { webhook: { url: notify.webhook.url, secret: notify.webhook.secret } };
}

/** The task as it was requested, in the API's shape, for the task view. */
export function toTaskRequest(spec: TaskSpec): CreateTaskDto {
  return {
    data_sources: spec.sources.map(
      (source): DataSourceDto => ({
        id: source.id,
        type: source.type,
        ...defined({
          connection: source.connection,
          query: source.query,
          url: source.url,
          records_path: source.recordsPath,
          records: source.records,
          id_field: source.idField,
          text_field: source.textField,
        }),
        ...(source.simulation ? { simulation: toSimulationDto(source.simulation) } : {}),
      }),
    ),
    ...(spec.llm ? { llm_config: { model: spec.llm.model, ...defined({ temperature: spec.llm.temperature }) } } : {}),
    dimensions: spec.dimensions.map(toDimensionDto),
    ...defined({ processing: spec.processing, outputs: spec.outputs }),
    ...defined({ labels: spec.labels, priority: spec.priority }),
    ...(spec.limits
      ? { limits: defined({ soft_seconds: spec.limits.softSeconds, hard_seconds: spec.limits.hardSeconds }) }
      : {}),
    // The secret is the caller's alone: it is used to sign, never shown back.
    ...(spec.notify ? { notify: { webhook: { url: spec.notify.webhook.url, secret: HIDDEN_SECRET } } } : {}),
  };
}

function toSourceSpec(source: DataSourceDto): SourceSpec {
  return {
    id: source.id,
    type: source.type,
    ...defined({
      connection: source.connection,
      query: source.query,
      url: source.url,
      recordsPath: source.records_path,
      records: source.records,
      idField: source.id_field,
      textField: source.text_field,
    }),
    ...(source.simulation ? { simulation: toSimulation(source.simulation) } : {}),
  };
}

function toSimulation(simulation: SourceSimulationDto): SourceSimulation {
  return defined({
    records: simulation.records,
    failureRate: simulation.failure_rate,
    latencyMs: simulation.latency_ms,
  });
}

function toSimulationDto(simulation: SourceSimulation): SourceSimulationDto {
  return defined({
    records: simulation.records,
    failure_rate: simulation.failureRate,
    latency_ms: simulation.latencyMs,
  });
}

function toDimensionSpec(dimension: DimensionDto): DimensionSpec {
  return {
    id: dimension.id,
    name: dimension.name,
    ...defined({
      kind: dimension.kind,
      threshold: dimension.threshold,
      description: dimension.description,
      topK: dimension.top_k,
    }),
  };
}

function toDimensionDto(dimension: DimensionSpec): DimensionDto {
  return {
    id: dimension.id,
    name: dimension.name,
    ...defined({
      kind: dimension.kind,
      threshold: dimension.threshold,
      description: dimension.description,
      top_k: dimension.topK,
    }),
  };
}

/** The object without its undefined fields (a loop: this runs several times for every submission and view). */
function defined<T extends object>(fields: T): Partial<T> {
  const kept: Partial<T> = {};
  for (const key in fields) if (fields[key] !== undefined) kept[key] = fields[key];
  return kept;
}
