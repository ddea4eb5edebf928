export { CacheError, CacheKeyError, CacheNotConfiguredError, CacheOptionsError, CacheScopeError, CachedDefinitionError } from './cache.errors';

// Caching
export { TenantCacheModule } from './tenant-cache.module';
export { TENANT_CACHE_MODULE_OPTIONS } from './tenant-cache.module-definition';
export type { CacheMetricsOptions, MetricsRegistry, TenantCacheModuleOptions } from './tenant-cache.options';
export { TENANT_CACHE_DEFAULTS } from './resolve-tenant-cache-options';
export { TenantCache, type CacheCallOptions, type InvalidateOptions } from './tenant-cache';
export type { CacheKey, CacheScope } from './cache-key';
export { Cached, type CachedOptions } from './cached.decorator';
export { CacheMetrics, type BypassReason } from './cache-metrics';

// Invalidation across replicas (nest-context's INVALIDATION_BUS over Redis pub/sub)
export { InvalidationBusModule } from './invalidation/invalidation-bus.module';
export { INVALIDATION_BUS_MODULE_OPTIONS } from './invalidation/invalidation-bus.module-definition';
export type { InvalidationBusConnection, InvalidationBusModuleExtras, InvalidationBusOptions } from './invalidation/invalidation-bus.options';
export { RedisInvalidationBus, INVALIDATION_BUS_DEFAULTS } from './invalidation/redis-invalidation-bus';
export { InvalidationBusUnavailableError } from './invalidation/invalidation-bus.errors';

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
export { RateLimitedException, RateLimitUnavailableException, ThrottlerOptionsError, ThrottlerStorageUnavailableError } from './throttling/throttler.errors';
