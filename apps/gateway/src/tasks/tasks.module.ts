import type { DynamicModule } from '@nestjs/common';
import { Module } from '@nestjs/common';
import type { EffectiveLimits } from '@app/contracts';
import type { AdmissionLimits } from './admission';
import { ADMISSION_LIMITS } from './admission';
import type { SourceRulesSettings } from './source-rules';
import { SourceRules } from './source-rules';
import { ProgressFeed, ProgressListener } from './progress-feed';
import { TaskExportController } from './task-export.controller';
import { TaskExports } from './task-exports';
import { TaskQueriesController } from './task-queries.controller';
import { TaskQueriesService } from './task-queries.service';
import { DEFAULT_LIMITS, TaskAdmission } from './task-admission';
import type { StreamOptions } from './task-stream';
import { STREAM_OPTIONS, TaskStream } from './task-stream';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';
import { TaskIntake } from './task-intake';

export interface TasksModuleOptions {
  admission: AdmissionLimits;
  /** What the checks of a submitted task's sources need to know. */
  sources: SourceRulesSettings;
  /** Time limits of a task that sets none. */
  taskLimits: EffectiveLimits;
  stream: StreamOptions;
}

@Module({})
export class TasksModule {
  static forRoot(options: TasksModuleOptions): DynamicModule {
    return {
      module: TasksModule,
      controllers: [TaskQueriesController, TasksController, TaskExportController, ProgressListener],
      providers: [
        { provide: ADMISSION_LIMITS, useValue: options.admission },
        { provide: SourceRules, useValue: new SourceRules(options.sources) },
        { provide: DEFAULT_LIMITS, useValue: options.taskLimits },
        { provide: STREAM_OPTIONS, useValue: options.stream },
        TaskStream,
        TaskAdmission,
        TaskIntake,
        TasksService,
        TaskQueriesService,
        TaskExports,
        ProgressFeed,
      ],
      exports: [TaskAdmission, TaskIntake, TasksService, TaskQueriesService],
    };
  }
}
