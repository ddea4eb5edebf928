import type { Logger } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Keyv } from 'keyv';
import { CacheNotConfiguredError } from './cache.errors';
import { CacheStore } from './cache-store';
import type { ResolvedTenantCacheOptions } from './resolve-tenant-cache-options';

// @nestjs/cache-manager's token (a string there): looked up by value so that package stays optional.
const CACHE_MANAGER = 'CACHE_MANAGER';

/**
 * The store of the module's `stores` option, else the primary store of the app's `CACHE_MANAGER`
 * (CacheModule of @nestjs/cache-manager). Only the first store is used: a second tier (an
 * in-memory store in front of Redis) would keep serving versions this replica did not see
 * replaced, so it is left to the app's own cache-manager calls.
 */
export function resolveCacheStore(options: ResolvedTenantCacheOptions, moduleRef: ModuleRef, logger: Logger): CacheStore {
  let stores: Keyv[] | undefined = options.stores;
  if (!stores) {
    try {
      stores = moduleRef.get<{ stores?: Keyv[] }>(CACHE_MANAGER, { strict: false }).stores;
    } catch {
      stores = undefined;
    }
  }
  if (!stores?.length) {
    throw new CacheNotConfiguredError(
      'TenantCacheModule has no store: pass stores: [createKeyv(process.env.REDIS_URL)] (from @keyv/redis) to TenantCacheModule.forRoot, ' +
        'or import CacheModule.register({ stores: [...] }) from @nestjs/cache-manager in the app.',
    );
  }
  if (stores.length > 1) {
    logger.warn(
      `TenantCache uses the first of ${stores.length} stores only: versions must come from the store every replica shares. ` +
        'Put the shared (Redis) store first.',
    );
  }
  return new CacheStore(stores[0]!, options.timeoutMs);
}
