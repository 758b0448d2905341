export * from './cancellation';
export * from './events.module';
export * from './queues.module';
export * from './stage-dispatcher';
export * from './stage-recovery';
export * from './stage-worker';
export * from './worker-bootstrap';
export * from './worker.module';
