export * from './create-task.dto';
export * from './events';
export * from './queues';
export * from './task-spec';
export * from './task-status';
export * from './task-view.dto';
export * from './providers';
