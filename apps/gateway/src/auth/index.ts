export { AccessModule } from './access.module';
export { ApiKeyRequired } from './api-key-docs';
export { ActiveTaskCap } from './active-task-cap';
export type { Principal } from './api-keys';
export { ApiKeys, ownerScope, sha256 } from './api-keys';
export { CurrentPrincipal } from './principal.decorator';
export { registerRateLimit } from './rate-limit';
