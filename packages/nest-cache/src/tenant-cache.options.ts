import type { Keyv } from 'keyv';

/**
 * Where metrics go: a prom-client `Registry`. Declared structurally (the two methods used), so
 * prom-client stays an optional peer and its types are not needed to compile.
 */
export interface MetricsRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: any): void;
}

/** Prometheus metrics settings (the shape every @acme package with metrics takes). */
export interface CacheMetricsOptions {
  /**
   * Registry to register the metrics in.
   * @default prom-client's global `register`
   */
  registry?: MetricsRegistry;
  /**
   * Prefix of every metric name.
   * @default 'acme_cache_'
   */
  prefix?: string;
}

/** Options of `TenantCacheModule.forRoot` / `forRootAsync`. */
export interface TenantCacheModuleOptions {
  /**
   * cache-manager 7 stores (Keyv instances), e.g. `[createKeyv('redis://localhost:6379')]` from
   * @keyv/redis. Use a shared store (Redis): versions must be seen by every replica.
   * @default the app's `CACHE_MANAGER` (CacheModule from @nestjs/cache-manager)
   */
  stores?: Keyv[];
  /**
   * Whether anything is cached. `false` turns every `@Cached` method and `TenantCache.wrap` into a
   * plain call of the source (`get` answers undefined; `set`, `del` and `invalidate` do nothing):
   * for a deployment that must run without the cache, or to measure what it saves.
   * @default true
   */
  enabled?: boolean;
  /**
   * Time to live of an entry, in milliseconds (per call: `ttl` of `@Cached` or of the call's options).
   * @default 60_000
   */
  ttl?: number;
  /**
   * First part of every key: `<prefix>:{<workspaceId>}:...`.
   * @default 'acme:cache'
   */
  prefix?: string;
  /**
   * Longest wait on the store, in milliseconds, before the call bypasses the cache (reads go to
   * the source, writes are skipped) and a bypass is counted.
   * @default 250
   */
  timeoutMs?: number;
  /**
   * Prometheus metrics: hits, misses, invalidations by subject, bypasses by reason, throttled
   * requests by route. `true` requires prom-client; `false` turns them off.
   * @default true when prom-client is installed, else off
   */
  metrics?: boolean | CacheMetricsOptions;
}
