import fc from 'fast-check';
import {
  ActiveTasksQueryDto,
  DeleteTaskQueryDto,
  ListTasksQueryDto,
  TaskResultQueryDto,
  TaskStatsQueryDto,
} from '../../apps/gateway/src/tasks/dto/task-queries.dto';
import { anyText } from './task-arbitraries';

type QueryClass = new () => object;

/**
 * A query DTO of the gateway with a parsed query string of up to three parameters: its own names,
 * an unknown one and one that names a prototype method, with valid-looking and generated values.
 */
export const generatedQuery: fc.Arbitrary<[QueryClass, Record<string, string>]> = fc.tuple(
  fc.constantFrom<QueryClass>(
    ListTasksQueryDto,
    ActiveTasksQueryDto,
    TaskStatsQueryDto,
    TaskResultQueryDto,
    DeleteTaskQueryDto,
  ),
  fc.dictionary(
    fc.constantFrom('status', 'limit', 'cursor', 'created_after', 'label', 'window', 'force', 'toString', 'x'),
    fc.oneof(anyText, fc.constantFrom('5', '0', '1.5', 'running,x', 'team:a', '1h', 'true')),
    { maxKeys: 3 },
  ),
);
