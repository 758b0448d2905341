import { Module } from '@nestjs/common';
import { ProgressFeed, ProgressListener } from './progress-feed';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  controllers: [TasksController, ProgressListener],
  providers: [TasksService, ProgressFeed],
})
export class TasksModule {}
