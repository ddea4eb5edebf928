import { importOptional } from '@acme/nest-context';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { CacheOptionsError } from './cache.errors';
import { RESOLVED_TENANT_CACHE_OPTIONS } from './tenant-cache.module-definition';
import type { MetricsRegistry } from './tenant-cache.options';
import type { ResolvedTenantCacheOptions } from './resolve-tenant-cache-options';

/**
 * Why a call went to the source without the cache: the store failed (`error`) or was too slow
 * (`timeout`); an invalidation of the entry's workspace and subject is still to be applied
 * (`pending_invalidation`); the arguments (`unserializable_args`) or the value
 * (`unserializable_value`) are not plain data; an invalidation could not be written
 * (`invalidation_failed`); a rate limit could not be checked and the request was let through
 * (`throttler_unavailable`).
 */
export type BypassReason =
  'error' | 'timeout' | 'pending_invalidation' | 'unserializable_args' | 'unserializable_value' | 'invalidation_failed' | 'throttler_unavailable';

interface Counter {
  labels(labels: Record<string, string>): { inc(value?: number): void };
}

interface Instruments {
  hits: Counter;
  misses: Counter;
  invalidations: Counter;
  bypasses: Counter;
  throttled: Counter;
}

// Per registry, because prom-client refuses to register a metric name twice: two apps in one
// process share the instruments.
const instrumentsByRegistry = new WeakMap<object, Map<string, Instruments>>();

/**
 * Prometheus metrics of the cache and the rate limits, when prom-client is installed:
 * `<prefix>hits_total{subject}`, `misses_total{subject}`, `invalidations_total{subject}`,
 * `bypasses_total{reason}` and `throttled_total{route}`. Every method is a no-op when metrics are off.
 */
@Injectable()
export class CacheMetrics implements OnModuleInit {
  private instruments?: Instruments;

  constructor(@Inject(RESOLVED_TENANT_CACHE_OPTIONS) private readonly options: ResolvedTenantCacheOptions) {}

  /** True when prom-client was found (or required) and metrics are being recorded. */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  async onModuleInit(): Promise<void> {
    const settings = this.options.metrics;
    if (settings === false || this.instruments) return;
    const loaded: any = await importOptional(() => import('prom-client'), 'prom-client');
    if (!loaded) {
      if (!settings.required) return; // the default: metrics only when prom-client is there
      throw new CacheOptionsError('TenantCacheModule option "metrics" needs prom-client: install it (pnpm add prom-client), or set metrics: false.');
    }
    const prom = loaded.Counter ? loaded : loaded.default;
    const registry: MetricsRegistry = settings.registry ?? prom.register;
    let byPrefix = instrumentsByRegistry.get(registry);
    if (!byPrefix) instrumentsByRegistry.set(registry, (byPrefix = new Map()));
    let instruments = byPrefix.get(settings.prefix);
    if (!instruments) {
      instruments = createInstruments(prom, registry, settings.prefix);
      byPrefix.set(settings.prefix, instruments);
    }
    this.instruments = instruments;
  }

  /** A read found a valid entry of `subject`. */
  hit(subject: string): void {
    this.instruments?.hits.labels({ subject }).inc();
  }

  /** A read of `subject` found no valid entry (absent, expired, or written under an older version). */
  miss(subject: string): void {
    this.instruments?.misses.labels({ subject }).inc();
  }

  /** The entries of `subject` in one workspace were invalidated. */
  invalidated(subject: string): void {
    this.instruments?.invalidations.labels({ subject }).inc();
  }

  /** A call went to the source (or a write was skipped) without the cache. */
  bypassed(reason: BypassReason): void {
    this.instruments?.bypasses.labels({ reason }).inc();
  }

  /** A request to `route` was refused by a rate limit. */
  throttled(route: string): void {
    this.instruments?.throttled.labels({ route }).inc();
  }
}

function createInstruments(prom: any, registry: MetricsRegistry, prefix: string): Instruments {
  const registers = [registry];
  const counter = (name: string, help: string, label: string): Counter =>
    (registry.getSingleMetric(prefix + name) as Counter | undefined) ?? new prom.Counter({ name: prefix + name, help, labelNames: [label], registers });
  return {
    hits: counter('hits_total', 'Cache reads that found a valid entry, by subject.', 'subject'),
    misses: counter('misses_total', 'Cache reads that found no valid entry and loaded from the source, by subject.', 'subject'),
    invalidations: counter('invalidations_total', 'Invalidations of a subject in one workspace, by subject.', 'subject'),
    bypasses: counter('bypasses_total', 'Calls that went to the source without the cache, by reason.', 'reason'),
    throttled: counter('throttled_total', 'Requests refused by a rate limit, by route.', 'route'),
  };
}
