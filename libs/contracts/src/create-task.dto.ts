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
  ValidateIf,
  ValidateNested,
} from 'class-validator';

/** Temperature of the LLM calls when the task does not set one. */
export const DEFAULT_TEMPERATURE = 0.7;

export const LIMITS = {
  sources: 100,
  dimensions: 50,
  simulatedRecordsPerSource: 10_000,
} as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ID_RULE = 'must be 1-64 characters: letters, digits, "_", "." or "-", starting with a letter or digit';

export enum DataSourceType {
  DATABASE = 'database',
  API = 'api',
}

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

  @ApiProperty({
    example: 0.6,
    minimum: 0,
    maximum: 1,
    description: 'A record passes the dimension when its score >= threshold',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  threshold: number;

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

  @ApiProperty({ type: LlmConfigDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LlmConfigDto)
  llm_config: LlmConfigDto;

  @ApiProperty({ type: [DimensionDto], minItems: 1, maxItems: LIMITS.dimensions })
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.dimensions)
  @ArrayUnique((dimension: DimensionDto) => dimension?.id, { message: 'dimensions must have unique ids' })
  @ValidateNested({ each: true })
  @Type(() => DimensionDto)
  dimensions: DimensionDto[];
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
