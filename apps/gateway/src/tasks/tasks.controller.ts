import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Res,
  Sse,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { FastifyReply } from 'fastify';
import { concat, filter, from, map, Observable, takeWhile } from 'rxjs';
import {
  CreateTaskDto,
  ErrorResponseDto,
  EXAMPLE_TASK,
  isTerminal,
  TaskAcceptedDto,
  TaskStatus,
  TaskViewDto,
} from '@app/contracts';
import type { Principal } from '../auth';
import { ACTIVE_CAP_RETRY_AFTER_SECONDS, ActiveTaskCap, CurrentPrincipal } from '../auth';
import { TaskRequestPipe } from '../http/task-request.pipe';
import { ProgressFeed } from './progress-feed';
import { toTaskSpec } from './task-spec.mapper';
import { TasksService } from './tasks.service';

const uuid = new ParseUUIDPipe({ version: '4' });

interface SseMessage {
  type: string;
  data: object;
}

@ApiTags('tasks')
@ApiUnauthorizedResponse({
  type: ErrorResponseDto,
  description: 'API keys are configured and none, or an unknown one, was presented',
})
@Controller('tasks')
export class TasksController {
  constructor(
    private readonly tasks: TasksService,
    private readonly progress: ProgressFeed,
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
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description:
      'Over the request rate of the key (Retry-After says when to retry), its active tasks at the cap, or the service at MAX_ACTIVE_TASKS; nothing was stored',
  })
  async submit(
    @Body(TaskRequestPipe) request: CreateTaskDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TaskAcceptedDto> {
    const active = await this.cap.exceeded(principal);
    if (active !== undefined) {
      void reply.header('Retry-After', String(ACTIVE_CAP_RETRY_AFTER_SECONDS));
      throw new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          message: `This key has ${active} active tasks, its cap is ${this.cap.limit}; submit again when some have ended`,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const id = await this.tasks.submit(toTaskSpec(request), principal.name);
    const url = `/api/v1/tasks/${id}`;
    void reply.header('Location', url);
    return { id, status: TaskStatus.PENDING, url };
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
    summary: 'Cancel a task',
    description: 'Stops the task everywhere; a task that has ended cannot be cancelled (409).',
  })
  @ApiOkResponse({ type: TaskViewDto, description: 'The cancelled task' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    type: ErrorResponseDto,
    description: 'The task has already ended; the body carries its status',
  })
  cancel(@Param('id', uuid) id: string): Promise<TaskViewDto> {
    return this.tasks.cancel(id);
  }

  @Sse(':id/events')
  @ApiOperation({ summary: 'Live progress (server-sent events): the task now, then each change until it ends' })
  async events(@Param('id', uuid) id: string): Promise<Observable<SseMessage>> {
    const current = await this.tasks.view(id);
    const snapshot = from([{ type: 'task', data: current }]);
    if (isTerminal(current.status)) return snapshot;
    const updates = this.progress.events.pipe(
      filter((event) => event.taskId === id),
      takeWhile((event) => !isTerminal(event.status), true),
      map((event) => ({ type: 'progress', data: event })),
    );
    return concat(snapshot, updates);
  }
}
