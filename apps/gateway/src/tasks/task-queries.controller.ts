import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto, TaskPageDto, TaskResultPageDto, TaskStatsDto } from '@app/contracts';
import type { Principal } from '../auth';
import { ApiKeyRequired, CurrentPrincipal, ownerScope } from '../auth';
import { ActiveTasksQueryDto, ListTasksQueryDto, TaskResultQueryDto, TaskStatsQueryDto } from './dto/task-queries.dto';
import { TaskQueriesService } from './task-queries.service';

const uuid = new ParseUUIDPipe({ version: '4' });
const BAD_QUERY = {
  type: ErrorResponseDto,
  description:
    'A query parameter is invalid (named in `fields`): unknown status, limit out of range, malformed cursor, …',
};

/** Lists and statistics cover the caller's own tasks; an admin key's (and an open API's) cover all. */
@ApiTags('tasks')
@ApiKeyRequired()
@Controller('tasks')
export class TaskQueriesController {
  constructor(private readonly queries: TaskQueriesService) {}

  @Get()
  @ApiOperation({
    summary: 'List tasks, newest first',
    description:
      'Keyset pages: follow next_cursor until it is null. Filters combine with AND. Never carries results. ' +
      "A key sees its own tasks; an admin key sees everyone's.",
  })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiBadRequestResponse(BAD_QUERY)
  list(@Query() query: ListTasksQueryDto, @CurrentPrincipal() principal: Principal): Promise<TaskPageDto> {
    return this.queries.list(query, { owner: ownerScope(principal) });
  }

  @Get('active')
  @ApiOperation({ summary: 'List pending and running tasks, newest first', description: 'Same paging as GET /tasks.' })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiBadRequestResponse(BAD_QUERY)
  active(@Query() query: ActiveTasksQueryDto, @CurrentPrincipal() principal: Principal): Promise<TaskPageDto> {
    return this.queries.active(query, ownerScope(principal));
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Counts by status, tasks ended lately, and duration percentiles per stage over a window',
    description: "Of the key's own tasks; of everyone's for an admin key.",
  })
  @ApiOkResponse({ type: TaskStatsDto })
  @ApiBadRequestResponse(BAD_QUERY)
  stats(@Query() query: TaskStatsQueryDto, @CurrentPrincipal() principal: Principal): Promise<TaskStatsDto> {
    return this.queries.stats(query.window, ownerScope(principal));
  }

  @Get(':id/result')
  @ApiOperation({
    summary: "A task's result alone, its passing records paged per dimension",
    description: 'Each page holds up to `limit` passing records of every dimension; follow next_cursor.',
  })
  @ApiOkResponse({ type: TaskResultPageDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'The id is not a UUID, or a query parameter is invalid',
  })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No such task, or it has no result (yet): `status` says which state it is in',
  })
  result(@Param('id', uuid) id: string, @Query() query: TaskResultQueryDto): Promise<TaskResultPageDto> {
    return this.queries.result(id, query);
  }
}
