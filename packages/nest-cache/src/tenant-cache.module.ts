import { ContextModule } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AuditedWritesSubscriber } from './audited-writes.subscriber';
import { CacheMetrics } from './cache-metrics';
import { CachedExplorer } from './cached-explorer';
import { resolveTenantCacheOptions } from './resolve-tenant-cache-options';
import { TenantCache } from './tenant-cache';
import { ConfigurableTenantCacheModule, RESOLVED_TENANT_CACHE_OPTIONS, TENANT_CACHE_MODULE_OPTIONS } from './tenant-cache.module-definition';

/**
 * Tenant-safe caching for the app (global): provides `TenantCache` and `CacheMetrics`, wraps every
 * `@Cached` provider method, and invalidates on each audited write when the app provides
 * `AUDITED_WRITES` (@acme/nest-audit). The app imports `ContextModule.forRoot()` itself (this
 * module imports `ContextModule.forFeature()`; bootstrap fails with CONTEXT_NOT_CONFIGURED
 * without it).
 */
@Module({
  imports: [ContextModule.forFeature(), DiscoveryModule],
  providers: [
    // Validated and defaulted once, at bootstrap; a bad option fails here, naming it.
    { provide: RESOLVED_TENANT_CACHE_OPTIONS, inject: [TENANT_CACHE_MODULE_OPTIONS], useFactory: resolveTenantCacheOptions },
    CacheMetrics,
    TenantCache,
    CachedExplorer,
    AuditedWritesSubscriber,
  ],
  exports: [TenantCache, CacheMetrics, TENANT_CACHE_MODULE_OPTIONS],
})
export class TenantCacheModule extends ConfigurableTenantCacheModule {}
