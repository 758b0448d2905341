import { Controller, Get, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { ErrorResponseDto, EXPORT_CONTENT_TYPES, EXPORT_FORMATS } from '@app/contracts';
import { TaskExports } from './task-exports';

const uuid = new ParseUUIDPipe({ version: '4' });

@ApiTags('tasks')
@Controller('tasks')
export class TaskExportController {
  constructor(private readonly exports: TaskExports) {}

  @Get(':id/export')
  @ApiOperation({
    summary: "Export a task's records",
    description:
      'Every record with its fields as the processing chain left them, its status and error, and per dimension its number, pass flag and analysis; streamed from Postgres in collection order. CSV: a header row, RFC 4180 quoting, one `fields.<name>` column per field and `<dimension>.score|passed|analysis` columns.',
  })
  @ApiQuery({ name: 'format', enum: EXPORT_FORMATS, required: false, description: 'Default json' })
  @ApiOkResponse({ description: 'The export, streamed' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'Unknown format, or the id is not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  async export(
    @Param('id', uuid) id: string,
    @Query('format') format: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const chosen = this.exports.format(format);
    const pieces = await this.exports.render(id, chosen);
    await reply
      .header('content-type', EXPORT_CONTENT_TYPES[chosen])
      .header('content-disposition', `attachment; filename="task-${id}.${chosen}"`)
      .send(Readable.from(pieces));
  }
}
