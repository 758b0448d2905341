import { ApiProperty } from '@nestjs/swagger';
import type { ProcessingStep } from '@app/contracts';

export class ProcessingPresetDto {
  @ApiProperty({ example: 'standard' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) steps: ProcessingStep[];
}
