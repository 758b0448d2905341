import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, Sse } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import type { Observable } from 'rxjs';
import {
  CreateTaskDto,
  ErrorResponseDto,
  EXAMPLE_TASK,
  TaskAcceptedDto,
  TaskStatus,
  TaskViewDto,
} from '@app/contracts';
import type { Principal } from '../auth';
import { ApiKeyRequired, ActiveTaskCap, CurrentPrincipal } from '../auth';
import { TaskRequestPipe } from '../http/task-request.pipe';
import { DeleteTaskQueryDto } from './dto/task-queries.dto';
import { toTaskSpec } from './task-spec.mapper';
import type { SseMessage } from './task-stream';
import { TaskStream } from './task-stream';
import { TasksService } from './tasks.service';

const uuid = new ParseUUIDPipe({ version: '4' });

const TOO_MANY = {
  type: ErrorResponseDto,
  description:
    'Over the request rate of the key (Retry-After says when to retry), its active tasks at the cap, or the service at MAX_ACTIVE_TASKS; nothing was stored',
};

@ApiTags('tasks')
@ApiKeyRequired()
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly stream: TaskStream,
    private readonly cap: ActiveTaskCap,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit a task',
    description: 'Stores the task and queues it; follow it with GET /tasks/{id}.',
  })
  @ApiBody({
    type: CreateTaskDto,
    examples: { design_card: { summary: 'Two sources, two dimensions', value: EXAMPLE_TASK } },
  })
  @ApiAcceptedResponse({ type: TaskAcceptedDto, description: 'Accepted; the Location header points at the task' })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'Malformed JSON, invalid fields, or a task over the size limits (each named with its reason)',
  })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The queue is unreachable; nothing was stored',
  })
  @ApiTooManyRequestsResponse(TOO_MANY)
  async submit(
    @Body(TaskRequestPipe) request: CreateTaskDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskAcceptedDto> {
    await this.cap.enforce(principal, reply);
    return accepted(await this.tasks.submit(toTaskSpec(request), principal.name), reply);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A task: status, stage, progress, timestamps, errors and, once finished, its result' })
  @ApiOkResponse({ type: TaskViewDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  view(@Param('id', uuid) id: string): Promise<TaskViewDto> {
    return this.tasks.view(id);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Cancel a task, or purge it',
    description:
      'Stops the task everywhere; a task that has ended cannot be cancelled (409). With purge=true the task is ' +
      'cancelled if active, then removed with all its data from Postgres and Redis (204), whatever its status.',
  })
  @ApiOkResponse({ type: TaskViewDto, description: 'The cancelled task' })
  @ApiNoContentResponse({ description: 'Purged' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID, or purge is not true/false' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'The task has already ended; the body carries its status',
  })
  @ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'A purge could not remove every job yet' })
  async delete(
    @Param('id', uuid) id: string,
    @Query() query: DeleteTaskQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskViewDto | undefined> {
    if (query.purge !== 'true') return this.tasks.cancel(id);
    await this.tasks.purge(id);
    void reply.status(204);
    return undefined;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a task (the same as DELETE /tasks/{id})' })
  @ApiOkResponse({ type: TaskViewDto, description: 'The cancelled task' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'The task has already ended; the body carries its status',
  })
  cancel(@Param('id', uuid) id: string): Promise<TaskViewDto> {
    return this.tasks.cancel(id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Run an ended task again',
    description: 'Submits a new task with the same specification; its retry_of names this one.',
  })
  @ApiAcceptedResponse({ type: TaskAcceptedDto, description: 'The new task; the Location header points at it' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'The task is still active' })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The queue is unreachable; nothing was stored',
  })
  @ApiTooManyRequestsResponse(TOO_MANY)
  async retry(
    @Param('id', uuid) id: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskAcceptedDto> {
    await this.cap.enforce(principal, reply);
    return accepted(await this.tasks.retry(id, principal.name), reply);
  }

  @Sse(':id/events')
  @ApiOperation({
    summary: 'Live progress (server-sent events)',
    description:
      'A `task` event with the task now, then a `progress` event (the task summary with its snake_case counters and ' +
      'what happened) on every change, a `heartbeat` every 15 s, and the end of the stream once the task has ended.',
  })
  events(@Param('id', uuid) id: string): Promise<Observable<SseMessage>> {
    return this.stream.open(id);
  }
}

function accepted(id: string, reply: FastifyReply): TaskAcceptedDto {
  const url = `/api/v1/tasks/${id}`;
  void reply.header('Location', url);
  return { id, status: TaskStatus.PENDING, url };
}
