import { TenantCacheModule } from '@acme/nest-cache';
import { createKeyv } from '@keyv/redis';
import { CacheModule } from '@nestjs/cache-manager';
import { ConfigService } from '@nestjs/config';
import type { Env } from '../config/env.schema';

/** The environment the cache needs (the API's and the worker's both have it). */
type CacheEnv = Pick<Env, 'REDIS_URL' | 'CACHE_REDIS_URL' | 'QUEUE_PREFIX' | 'CACHE_ENABLED' | 'CACHE_TTL_SECONDS'>;

/**
 * @nestjs/cache-manager's CacheModule on the cache's Redis (@keyv/redis on CACHE_REDIS_URL, else
 * REDIS_URL) and TenantCacheModule over it. The API caches reads with @Cached; the worker imports
 * it too, so its audited writes (the nightly stale-deal check) invalidate the API's entries. Keys
 * start with `<QUEUE_PREFIX>:cache`.
 */
export function crmCacheModules() {
  return [
    CacheModule.registerAsync({
      isGlobal: true,
      inject: [ConfigService],
      useFactory: (config: ConfigService<CacheEnv, true>) => ({
        stores: [createKeyv(config.get('CACHE_REDIS_URL', { infer: true }) ?? config.get('REDIS_URL'))],
      }),
    }),
    TenantCacheModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<CacheEnv, true>) => ({
        enabled: config.get('CACHE_ENABLED'),
        ttl: config.get('CACHE_TTL_SECONDS') * 1000,
        // A cache prefix takes no braces: the workspace is the keys' hash tag ({crm} -> crm:cache).
        prefix: `${config.get('QUEUE_PREFIX').replace(/[{}]/g, '')}:cache`,
      }),
    }),
  ];
}
