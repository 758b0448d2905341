import { DynamicModule, Module } from '@nestjs/common';
import type { AdmissionLimits } from './admission';
import { ADMISSION_LIMITS } from './admission';
import type { SourceRulesSettings } from './source-rules';
import { SourceRules } from './source-rules';
import { ProgressFeed, ProgressListener } from './progress-feed';
import { TaskExportController } from './task-export.controller';
import { TaskExports } from './task-exports';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({})
export class TasksModule {
  static forRoot(admission: AdmissionLimits, sources: SourceRulesSettings): DynamicModule {
    return {
      module: TasksModule,
      controllers: [TasksController, TaskExportController, ProgressListener],
      providers: [
        TasksService,
        TaskExports,
        ProgressFeed,
        { provide: ADMISSION_LIMITS, useValue: admission },
        { provide: SourceRules, useValue: new SourceRules(sources) },
      ],
    };
  }
}
