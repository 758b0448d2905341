import type { Type } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import { TaskStatus } from '@app/contracts';
import { RequestValidationPipe } from '../../http/validation';
import { taskCursor } from '../cursor';
import {
  ActiveTasksQueryDto,
  DeleteTaskQueryDto,
  ListTasksQueryDto,
  TaskResultQueryDto,
  TaskStatsQueryDto,
} from './task-queries.dto';

const pipe = new RequestValidationPipe();

/** The query as Fastify hands it over (strings, arrays for repeated parameters), through the gateway's pipe. */
function parse<T>(metatype: Type<T>, query: Record<string, unknown>): Promise<T> {
  return pipe.transform(query, { type: 'query', metatype }) as Promise<T>;
}

async function badParameters(metatype: Type<unknown>, query: Record<string, unknown>): Promise<string[]> {
  const error = await parse(metatype, query).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(BadRequestException);
  const body = (error as BadRequestException).getResponse() as { fields: { field: string }[] };
  return body.fields.map((entry) => entry.field);
}

describe(ListTasksQueryDto.name, () => {
  it('reads every filter, statuses comma-separated and labels repeated or single', async () => {
    const cursor = taskCursor.encode({
      createdAt: '2025-01-01T00:00:00.000001Z',
      id: '4b1c7d0e-0000-4000-8000-000000000001',
    });
    const query = await parse(ListTasksQueryDto, {
      status: 'running,completed',
      limit: '50',
      cursor,
      created_after: '2025-01-01T00:00:00Z',
      created_before: '2025-02-01',
      label: ['team:search', 'url:http://x:1'],
    });
    expect(query).toMatchObject({
      status: [TaskStatus.RUNNING, TaskStatus.COMPLETED],
      limit: 50,
      cursor,
      label: ['team:search', 'url:http://x:1'],
    });
    expect((await parse(ListTasksQueryDto, { label: 'team:search' })).label).toEqual(['team:search']);
    expect(await parse(ListTasksQueryDto, {})).toEqual(new ListTasksQueryDto());
  });

  it.each([
    [{ status: 'running,bogus' }, 'status'],
    [{ limit: '0' }, 'limit'],
    [{ limit: '500' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ limit: '2.5' }, 'limit'],
    [{ cursor: 'garbage' }, 'cursor'],
    [{ created_after: 'yesterday' }, 'created_after'],
    [{ created_before: '2025-02-30T00:00:00Z' }, 'created_before'],
    [{ label: 'no-colon' }, 'label'],
    [{ label: ['team:search', ':value'] }, 'label'],
    [{ label: 'team:' }, 'label'],
    [{ unknown: '1' }, 'unknown'],
  ])('answers 400 naming the parameter for %p', async (query, field) => {
    expect(await badParameters(ListTasksQueryDto, query)).toEqual([field]);
  });
});

describe('the other task queries', () => {
  it('the active list takes no status', async () => {
    expect(await badParameters(ActiveTasksQueryDto, { status: 'running' })).toEqual(['status']);
    expect(await parse(ActiveTasksQueryDto, { limit: '5' })).toMatchObject({ limit: 5 });
  });

  it('stats take a window of a number and a unit', async () => {
    expect(await parse(TaskStatsQueryDto, { window: '15m' })).toMatchObject({ window: '15m' });
    expect(await badParameters(TaskStatsQueryDto, { window: '1 hour' })).toEqual(['window']);
  });

  it('result pages take limit 1..1000 and a result cursor', async () => {
    expect(await badParameters(TaskResultQueryDto, { limit: '1001' })).toEqual(['limit']);
    const listCursor = taskCursor.encode({
      createdAt: '2025-01-01T00:00:00Z',
      id: '4b1c7d0e-0000-4000-8000-000000000001',
    });
    expect(await badParameters(TaskResultQueryDto, { cursor: listCursor })).toEqual(['cursor']);
  });

  it('purge is true or false', async () => {
    expect(await parse(DeleteTaskQueryDto, { purge: 'true' })).toMatchObject({ purge: 'true' });
    expect(await badParameters(DeleteTaskQueryDto, { purge: 'yes' })).toEqual(['purge']);
  });
});
