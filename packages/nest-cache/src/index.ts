export { CacheError } from './cache.errors';

// Rate limits on @nestjs/throttler
export {
  RedisThrottlerStorage,
  type RedisThrottlerStorageOptions,
  type ThrottlerConnection,
  type ThrottlerStorageRecord,
} from './throttling/redis-throttler.storage';
export { TenantThrottlerGuard, type TenantThrottlerGuardOptions } from './throttling/tenant-throttler.guard';
export { WhenThrottlerUnavailable, type ThrottlerUnavailableMode } from './throttling/when-throttler-unavailable.decorator';
export { clientIpOf, identityTracker, keyByTracker, submittedIdentity, userTracker, workspaceTracker } from './throttling/throttler-trackers';
export { limitByWorkspace, type LimitByWorkspaceOptions, type WorkspaceLimitLookup } from './throttling/limit-by-workspace';
export {
  RateLimitedException,
  RateLimitUnavailableException,
  ThrottlerOptionsError,
  ThrottlerStorageUnavailableError,
} from './throttling/throttler.errors';
