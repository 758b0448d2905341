import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { TaskSpecDomainShape1764100000000 } from './1764100000000-task-spec-domain-shape';
import { ProcessingAnalysesOutputs1764200000000 } from './1764200000000-processing-analyses-outputs';
import { TaskOwner1764600000000 } from './1764600000000-task-owner';
import { TaskListing1764700000000 } from './1764700000000-task-listing';
import { TaskPriorityLimits1764800000000 } from './1764800000000-task-priority-limits';
import { Batches1764900000000 } from './1764900000000-batches';
import { Notifications1765000000000 } from './1765000000000-notifications';
import { TaskUsage1765100000000 } from './1765100000000-task-usage';
import { HotTaskUpdates1765200000000 } from './1765200000000-hot-task-updates';
import { StageChangesInPlace1765300000000 } from './1765300000000-stage-changes-in-place';

/** In order; TypeORM records the applied ones in its `migrations` table. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  TaskSpecDomainShape1764100000000,
  ProcessingAnalysesOutputs1764200000000,
  TaskOwner1764600000000,
  TaskListing1764700000000,
  TaskPriorityLimits1764800000000,
  Batches1764900000000,
  Notifications1765000000000,
  TaskUsage1765100000000,
  HotTaskUpdates1765200000000,
  StageChangesInPlace1765300000000,
];
