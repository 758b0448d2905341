import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsEnum,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationArguments,
} from 'class-validator';
import { AnalysisKind, DEFAULT_TOP_K, MAX_TOP_K } from './analysis';
import type { OutputSpec } from './outputs';
import type { ProcessingSpec } from './processing';
import { IsLabels, LABEL_KEY_RULE, LABEL_RULES } from './labels';
import { NotifyDto } from './notify';
import { TaskLimitsDto, TaskPriority } from './task-options';

/** Temperature of the LLM calls when the task does not set one. */
export const DEFAULT_TEMPERATURE = 0.7;

export const LIMITS = {
  sources: 100,
  dimensions: 50,
  outputs: 10,
  simulatedRecordsPerSource: 10_000,
  /** Records an `inline` source may carry (the request's size is bounded too, by BODY_LIMIT_BYTES). */
  inlineRecords: 10_000,
  queryLength: 20_000,
  maxTokens: 128_000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ID_RULE = 'must be 1-64 characters: letters, digits, "_", "." or "-", starting with a letter or digit';

export enum DataSourceType {
  DATABASE = 'database',
  API = 'api',
  INLINE = 'inline',
}

/** A record field name, or a dotted path of them. */
const FIELD_PATH = /^[A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*$/;

/** Knobs the data-source simulator honours for one source; real sources ignore them. */
export class SourceSimulationDto {
  @ApiPropertyOptional({ minimum: 0, maximum: LIMITS.simulatedRecordsPerSource, example: 25 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(LIMITS.simulatedRecordsPerSource)
  records?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Probability that one fetch attempt fails' })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  failure_rate?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 60_000, description: 'Latency of one fetch, in ms' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  latency_ms?: number;
}

export class DataSourceDto {
  @ApiProperty({ example: 'db1', pattern: ID_PATTERN.source })
  @IsString()
  @Matches(ID_PATTERN, { message: `id ${ID_RULE}` })
  id: string;

  @ApiProperty({ enum: DataSourceType, example: DataSourceType.DATABASE })
  @IsEnum(DataSourceType)
  type: DataSourceType;

  @ApiPropertyOptional({
    example: '...',
    description:
      'Name of a connection configured on the server (type "database"). Served by the simulator in simulated mode.',
  })
  @ValidateIf((source: DataSourceDto) => source.type === DataSourceType.DATABASE || source.connection !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  connection?: string;

  @ApiPropertyOptional({
    example: '...',
    description: 'URL of a JSON API (type "api"). Served by the simulator in simulated mode.',
  })
  @ValidateIf((source: DataSourceDto) => source.type === DataSourceType.API || source.url !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({
    example: 'data.items',
    description: 'Type "api": dotted path of the records array in a JSON object body (else the body is the array)',
  })
  @IsOptional()
  @IsString()
  @Matches(FIELD_PATH, { message: 'records_path must be field names joined by "."' })
  @MaxLength(256)
  records_path?: string;

  @ApiPropertyOptional({
    example: "SELECT id, body FROM reviews WHERE created_at > now() - interval '1 day'",
    description: 'Type "database": one read-only SELECT, run on the named connection (required in live mode)',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(LIMITS.queryLength)
  query?: string;

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: LIMITS.inlineRecords,
    description: 'Type "inline": the records themselves, each a JSON object',
  })
  @ValidateIf((source: DataSourceDto) => source.type === DataSourceType.INLINE || source.records !== undefined)
  @IsArray()
  @ArrayMaxSize(LIMITS.inlineRecords)
  @IsObject({ each: true, message: 'records must contain only JSON objects' })
  records?: Record<string, unknown>[];

  @ApiPropertyOptional({ example: 'id', description: "Field holding a record's id (else its position: 0, 1, …)" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  id_field?: string;

  @ApiPropertyOptional({ example: 'body', description: 'Field holding what the LLM reads (else the whole record)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  text_field?: string;

  @ApiPropertyOptional({ type: SourceSimulationDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => SourceSimulationDto)
  simulation?: SourceSimulationDto;
}

export class LlmConfigDto {
  @ApiProperty({ example: 'gpt-3.5-turbo' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  model: string;

  @ApiPropertyOptional({ example: 0.7, minimum: 0, maximum: 2, default: DEFAULT_TEMPERATURE })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(2)
  temperature?: number;

  @ApiPropertyOptional({ example: 256, minimum: 1, maximum: LIMITS.maxTokens, description: 'Sent as max_tokens' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxTokens)
  max_tokens?: number;
}

function kindOf(dimension: DimensionDto): AnalysisKind {
  return dimension.kind ?? AnalysisKind.SCORE;
}

/** The member is meaningful only for dimensions of these kinds; anywhere else it is refused. */
function OnlyForKinds(kinds: readonly AnalysisKind[]): PropertyDecorator {
  return ValidateBy({
    name: 'onlyForKinds',
    validator: {
      validate: (_value: unknown, args?: ValidationArguments) => kinds.includes(kindOf(args!.object as DimensionDto)),
      defaultMessage: (args?: ValidationArguments) => `${args!.property} applies only to kind ${kinds.join(' or ')}`,
    },
  });
}

export class DimensionDto {
  @ApiProperty({ example: 'dim1', pattern: ID_PATTERN.source })
  @IsString()
  @Matches(ID_PATTERN, { message: `id ${ID_RULE}` })
  id: string;

  @ApiProperty({ example: '质量评估' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional({
    enum: AnalysisKind,
    default: AnalysisKind.SCORE,
    description:
      'What the LLM gives per record: a score (0-1), a sentiment (label and confidence), topics, an error analysis (error type and knowledge points) or knowledge points with prerequisites',
  })
  @IsOptional()
  @IsEnum(AnalysisKind)
  kind?: AnalysisKind;

  @ApiPropertyOptional({
    example: 0.6,
    minimum: 0,
    maximum: 1,
    description:
      'A record passes the dimension when its number (the score; the confidence of a sentiment) >= threshold. Required for kind score; not allowed for kinds that yield no number (topics, error_analysis, knowledge_points)',
  })
  @ValidateIf(
    (dimension: DimensionDto) => dimension.threshold !== undefined || kindOf(dimension) === AnalysisKind.SCORE,
  )
  @OnlyForKinds([AnalysisKind.SCORE, AnalysisKind.SENTIMENT])
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  threshold?: number;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_TOP_K,
    default: DEFAULT_TOP_K,
    description: 'kind topics: at most this many topics per record',
  })
  @IsOptional()
  @OnlyForKinds([AnalysisKind.TOPICS])
  @IsInt()
  @Min(1)
  @Max(MAX_TOP_K)
  top_k?: number;

  @ApiPropertyOptional({ example: 'How complete and well-formed the record is', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;
}

export class CreateTaskDto {
  @ApiProperty({ type: [DataSourceDto], minItems: 1, maxItems: LIMITS.sources })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.sources)
  @ArrayUnique((source: DataSourceDto) => source?.id, { message: 'data_sources must have unique ids' })
  @ValidateNested({ each: true })
  @Type(() => DataSourceDto)
  data_sources: DataSourceDto[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'The processing chain every record goes through after collection: {"preset": "<name>"} (see GET /processing/presets) and/or {"steps": [...]}, the preset\'s steps first. Step types: validate, transform, filter, dedupe, enrich, aggregate (README "Processing chains").',
    example: { preset: 'standard', steps: [{ type: 'transform', uppercase: ['content'] }] },
  })
  @IsOptional()
  @IsObject()
  processing?: ProcessingSpec;

  @ApiPropertyOptional({
    type: LlmConfigDto,
    description: 'Required when the task has dimensions',
  })
  // Checked before `dimensions` itself is: a request's `dimensions` may be null or not a list at all.
  @ValidateIf(
    (task: CreateTaskDto) =>
      (Array.isArray(task.dimensions) && task.dimensions.length > 0) || task.llm_config !== undefined,
  )
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigDto)
  llm_config?: LlmConfigDto;

  @ApiPropertyOptional({
    type: [DimensionDto],
    maxItems: LIMITS.dimensions,
    default: [],
    description: 'LLM analyses of every record; none: a pure processing task that ends after its chain and outputs',
  })
  @IsArray()
  @ArrayMaxSize(LIMITS.dimensions)
  @ArrayUnique((dimension: DimensionDto) => dimension?.id, { message: 'dimensions must have unique ids' })
  @ValidateNested({ each: true })
  @Type(() => DimensionDto)
  dimensions: DimensionDto[] = [];

  @ApiPropertyOptional({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    maxItems: LIMITS.outputs,
    description:
      'What happens with the records when the task completes: {"type": "export", "format": "json|ndjson|csv", "to": "webhook", "url": "..."} posts the export; {"type": "email", "to": ["..."]} mails a summary (SMTP_URL).',
    example: [{ type: 'email', to: ['ops@example.com'] }],
  })
  @IsOptional()
  @IsArray()
  outputs?: OutputSpec[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: LABEL_RULES.maxValueLength },
    maxProperties: LABEL_RULES.maxLabels,
    example: { team: 'search', run: 'nightly' },
    description: `Tags to find the task by (GET /tasks?label=key:value); ${LABEL_KEY_RULE}`,
  })
  @IsOptional()
  @IsLabels()
  labels?: Record<string, string>;

  @ApiPropertyOptional({
    enum: TaskPriority,
    default: TaskPriority.NORMAL,
    description: "Carried into every stage's jobs: a high-priority task overtakes queued normal and low ones",
  })
  @IsOptional()
  @IsEnum(TaskPriority)
  priority?: TaskPriority;

  @ApiPropertyOptional({ type: TaskLimitsDto, description: 'Time limits, counted from when the task starts' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TaskLimitsDto)
  limits?: TaskLimitsDto;

  @ApiPropertyOptional({
    type: NotifyDto,
    description:
      'When the task ends, POST {"event": "task.completed" | "task.failed" | "task.cancelled", ...its summary} to the ' +
      'webhook, signed (X-Signature) and with X-Event-Id; retried with backoff on 5xx and timeouts',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => NotifyDto)
  notify?: NotifyDto;
}

/** The example of the product's design card; Swagger shows it as the request example. */
export const EXAMPLE_TASK: CreateTaskDto = {
  data_sources: [
    { id: 'db1', type: DataSourceType.DATABASE, connection: '...' },
    { id: 'api1', type: DataSourceType.API, url: '...' },
  ],
  llm_config: { model: 'gpt-3.5-turbo', temperature: 0.7 },
  dimensions: [
    { id: 'dim1', name: '质量评估', threshold: 0.6 },
    { id: 'dim2', name: '相关性分析', threshold: 0.5 },
  ],
};
