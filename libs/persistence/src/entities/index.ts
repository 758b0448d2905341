import { BatchEntity } from './batch.entity';
import { DeliveryEntity } from './delivery.entity';
import { DimensionResultEntity } from './dimension-result.entity';
import { EvaluationChunkEntity } from './evaluation-chunk.entity';
import { TaskRecordEntity } from './task-record.entity';
import { TaskResultEntity } from './task-result.entity';
import { TaskSourceEntity } from './task-source.entity';
import { TaskUsageEntity } from './task-usage.entity';
import { TaskEntity } from './task.entity';

export {
  BatchEntity,
  DeliveryEntity,
  DimensionResultEntity,
  EvaluationChunkEntity,
  TaskEntity,
  TaskRecordEntity,
  TaskResultEntity,
  TaskSourceEntity,
  TaskUsageEntity,
};

export const ENTITIES = [
  BatchEntity,
  TaskEntity,
  TaskSourceEntity,
  TaskRecordEntity,
  EvaluationChunkEntity,
  DimensionResultEntity,
  TaskResultEntity,
  DeliveryEntity,
  TaskUsageEntity,
];
