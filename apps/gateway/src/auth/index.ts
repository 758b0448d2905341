export { AccessModule } from './access.module';
export { ACTIVE_CAP_RETRY_AFTER_SECONDS, ActiveTaskCap } from './active-task-cap';
export type { Principal } from './api-keys';
export { ApiKeys, sha256 } from './api-keys';
export { CurrentPrincipal } from './principal.decorator';
export { registerRateLimit } from './rate-limit';
