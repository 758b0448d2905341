import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { AccessOptions } from '../gateway.config';
import { ActiveTaskCap, MAX_ACTIVE_TASKS_PER_KEY } from './active-task-cap';
import { ApiAccessGuard } from './api-access.guard';
import { ApiKeys } from './api-keys';

/** API keys, task ownership (a global guard on the API routes) and the per-key cap on active tasks. */
@Module({})
export class AccessModule {
  static forRoot(options: AccessOptions): DynamicModule {
    return {
      module: AccessModule,
      global: true,
      providers: [
        { provide: ApiKeys, useValue: options.keys },
        { provide: MAX_ACTIVE_TASKS_PER_KEY, useValue: options.maxActiveTasksPerKey },
        { provide: APP_GUARD, useClass: ApiAccessGuard },
        ActiveTaskCap,
      ],
      exports: [ApiKeys, ActiveTaskCap],
    };
  }
}
