import type { Keyv } from 'keyv';
import { CacheOptionsError } from './cache.errors';
import type { MetricsRegistry, TenantCacheModuleOptions } from './tenant-cache.options';

/** Metrics settings once defaulted; `false` when metrics are off. */
export interface ResolvedCacheMetrics {
  /** `metrics: true` or an object: prom-client must be installed. The default (unset) is on only when it is. */
  required: boolean;
  /** Undefined: prom-client's default registry (known once prom-client is loaded). */
  registry: MetricsRegistry | undefined;
  prefix: string;
}

/** `TenantCacheModuleOptions` validated, with every default applied: what the package's services read. */
export interface ResolvedTenantCacheOptions {
  /** Undefined: the app's `CACHE_MANAGER`, looked up at bootstrap. */
  stores: Keyv[] | undefined;
  enabled: boolean;
  ttl: number;
  prefix: string;
  timeoutMs: number;
  metrics: ResolvedCacheMetrics | false;
}

/** The defaults, in one place (the options' JSDoc and the README state the same). */
export const TENANT_CACHE_DEFAULTS = Object.freeze({
  ttl: 60_000,
  prefix: 'acme:cache',
  timeoutMs: 250,
  metricsPrefix: 'acme_cache_',
});

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;
// No braces (they delimit the workspace hash tag) and no whitespace.
const KEY_PREFIX = /^[^\s{}]+$/;

/**
 * Validates `TenantCacheModule` options at bootstrap (failing fast, naming the option) and returns
 * them with every default applied, so no use site applies its own.
 */
export function resolveTenantCacheOptions(options: TenantCacheModuleOptions | undefined): ResolvedTenantCacheOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') {
    throw new CacheOptionsError('TenantCacheModule.forRoot takes an options object: { stores?, enabled?, ttl?, prefix?, timeoutMs?, metrics? }.');
  }
  const { stores, enabled, ttl, prefix, timeoutMs, metrics } = options;
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new CacheOptionsError(`TenantCacheModule option "enabled" must be true or false, got ${JSON.stringify(enabled)}.`);
  }
  if (stores !== undefined && (!Array.isArray(stores) || stores.length === 0 || stores.some((store) => typeof store?.get !== 'function'))) {
    throw new CacheOptionsError(
      'TenantCacheModule option "stores" must be a non-empty array of Keyv stores, e.g. [createKeyv(process.env.REDIS_URL)] from @keyv/redis; ' +
        "or leave it out to use the app's CacheModule (@nestjs/cache-manager).",
    );
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !KEY_PREFIX.test(prefix))) {
    throw new CacheOptionsError(`TenantCacheModule option "prefix" must be a non-empty string without spaces or braces, got ${JSON.stringify(prefix)}.`);
  }
  return {
    stores: stores ? [...stores] : undefined,
    enabled: enabled ?? true,
    ttl: milliseconds('ttl', ttl, TENANT_CACHE_DEFAULTS.ttl),
    prefix: prefix ?? TENANT_CACHE_DEFAULTS.prefix,
    timeoutMs: milliseconds('timeoutMs', timeoutMs, TENANT_CACHE_DEFAULTS.timeoutMs),
    metrics: resolveMetrics(metrics),
  };
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CacheOptionsError(`TenantCacheModule option "${name}" must be a positive whole number of milliseconds, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function resolveMetrics(metrics: TenantCacheModuleOptions['metrics']): ResolvedCacheMetrics | false {
  if (metrics === false) return false;
  const defaults = { registry: undefined, prefix: TENANT_CACHE_DEFAULTS.metricsPrefix };
  if (metrics === undefined) return { required: false, ...defaults };
  if (metrics === true) return { required: true, ...defaults };
  if (typeof metrics !== 'object' || metrics === null) {
    throw new CacheOptionsError('TenantCacheModule option "metrics" must be a boolean or { registry?, prefix? }.');
  }
  const { registry, prefix } = metrics;
  if (registry !== undefined && typeof registry?.registerMetric !== 'function') {
    throw new CacheOptionsError('TenantCacheModule option "metrics.registry" must be a prom-client Registry (new Registry() from prom-client).');
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix))) {
    throw new CacheOptionsError(
      `TenantCacheModule option "metrics.prefix" must be a valid Prometheus metric name prefix (letters, digits, "_", ":"), got ${JSON.stringify(prefix)}.`,
    );
  }
  return { required: true, registry, prefix: prefix ?? defaults.prefix };
}
