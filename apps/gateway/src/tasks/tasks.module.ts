import { Module } from '@nestjs/common';
import { ProgressFeed, ProgressListener } from './progress-feed';
import { TaskExportController } from './task-export.controller';
import { TaskExports } from './task-exports';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  controllers: [TasksController, TaskExportController, ProgressListener],
  providers: [TasksService, TaskExports, ProgressFeed],
})
export class TasksModule {}
