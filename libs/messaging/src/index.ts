export * from './cancellation';
export * from './events.module';
export * from './queues.module';
export * from './redis-connection';
export * from './redis.module';
export * from './stage-dispatcher';
export * from './stage-recovery';
export * from './stage-worker';
