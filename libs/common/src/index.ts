export { CancelledError, isAbortError, sleep, timeoutSignal } from './abort.util';
export type { BackoffPolicy } from './backoff.util';
export { backoffDelay } from './backoff.util';
export type { RetryOptions } from './retry.util';
export { retry } from './retry.util';
export { Semaphore } from './semaphore';
export { mapWithConcurrency } from './map-with-concurrency.util';
export { seededRandom, stableHash, unitInterval } from './deterministic-random.util';
export { canonicalJson } from './canonical-json';
