import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  BatchAcceptedDto,
  BatchViewDto,
  CreateBatchDto,
  ErrorResponseDto,
  EXAMPLE_TASK,
  TaskPageDto,
} from '@app/contracts';
import type { Principal } from '../auth';
import { ApiKeyRequired, ActiveTaskCap, CurrentPrincipal } from '../auth';
import { ListTasksQueryDto } from '../tasks/dto/task-queries.dto';
import { BatchesService } from './batches.service';

const uuid = new ParseUUIDPipe({ version: '4' });

/** A batch belongs to the key that submitted it, as its tasks do; other keys get 404 (ApiAccessGuard). */
@ApiTags('batches')
@ApiKeyRequired()
@Controller('batches')
export class BatchesController {
  constructor(
    private readonly batches: BatchesService,
    private readonly cap: ActiveTaskCap,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Submit many tasks at once',
    description:
      'Every task is validated before anything is stored; one bad task refuses the batch, naming its index and ' +
      'field. The batch is stored and queued whole.',
  })
  @ApiBody({
    type: CreateBatchDto,
    examples: { two: { summary: 'Two tasks', value: { tasks: [EXAMPLE_TASK, { ...EXAMPLE_TASK, priority: 'low' }] } } },
  })
  @ApiAcceptedResponse({ type: BatchAcceptedDto, description: 'Accepted; the Location header points at the batch' })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'A task is invalid: `tasks[i].field` names it' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'More tasks than BATCH_MAX_TASKS (named)' })
  @ApiServiceUnavailableResponse({
    type: ErrorResponseDto,
    description: 'The queue is unreachable; nothing was stored',
  })
  @ApiTooManyRequestsResponse({
    type: ErrorResponseDto,
    description:
      "Over the key's request rate, its active tasks plus the batch's over its cap, or the service's active tasks plus the batch's over MAX_ACTIVE_TASKS; nothing was stored",
  })
  async submit(
    @Body() batch: CreateBatchDto,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchAcceptedDto> {
    this.batches.ensureSize(batch);
    await this.cap.enforce(principal, reply, batch.tasks.length);
    const { id, taskIds } = await this.batches.submit(batch, principal.name);
    const url = `/api/v1/batches/${id}`;
    void reply.header('Location', url);
    return { id, task_ids: taskIds, url };
  }

  @Get(':id')
  @ApiOperation({
    summary: "A batch's outcome: counts by status, succeeded, failed, start, end, duration, the first errors, done",
  })
  @ApiOkResponse({ type: BatchViewDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  view(@Param('id', uuid) id: string): Promise<BatchViewDto> {
    return this.batches.view(id);
  }

  @Get(':id/tasks')
  @ApiOperation({ summary: "A batch's tasks, with the filters and paging of GET /tasks" })
  @ApiOkResponse({ type: TaskPageDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'The id is not a UUID, or a query parameter is invalid',
  })
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  tasks(@Param('id', uuid) id: string, @Query() query: ListTasksQueryDto): Promise<TaskPageDto> {
    return this.batches.tasks(id, query);
  }
}
