import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PRESETS } from '@app/processing';
import { ProcessingPresetDto } from './processing-preset.dto';

@ApiTags('processing')
@Controller('processing')
export class PresetsController {
  @Get('presets')
  @ApiOperation({
    summary: 'The named processing chains',
    description: 'Use one as {"processing": {"preset": "<name>"}}; steps given beside it run after its own.',
  })
  @ApiOkResponse({ type: [ProcessingPresetDto] })
  presets(): ProcessingPresetDto[] {
    return Object.entries(PRESETS).map(([name, preset]) => ({ name, ...preset }));
  }
}
