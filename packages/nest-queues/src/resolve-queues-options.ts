import type { ConnectionOptions } from 'bullmq';
import { assertClusterPrefix } from './cluster-prefix';
import { DEFAULT_BUCKETS } from './metric-instruments';
import { QueuesOptionsError } from './queues.errors';
import type { MetricsRegistry, QueuesModuleOptions } from './queues.options';

/** Metrics settings once defaulted; `false` when metrics are off. */
export interface ResolvedQueueMetrics {
  /** `metrics: true` or an object: prom-client must be installed. The default (unset) is on only when it is. */
  required: boolean;
  /** Undefined: prom-client's default registry (known once prom-client is loaded). */
  registry: MetricsRegistry | undefined;
  prefix: string;
  buckets: number[];
  /** How long the `jobs` gauge waits for Redis on a scrape. */
  scrapeTimeoutMs: number;
}

/** `QueuesModuleOptions` validated, with every default applied: what the package's services read. */
export interface ResolvedQueuesOptions {
  connection: ConnectionOptions;
  prefix: string;
  runWorkers: boolean;
  shutdownTimeoutMs: number;
  startupTimeoutMs: number;
  metrics: ResolvedQueueMetrics | false;
  removeStaleCrons: boolean;
  allowVolatileRedis: boolean;
}

/** The defaults, in one place (the options' JSDoc and the README state the same). */
export const QUEUES_DEFAULTS = Object.freeze({
  prefix: 'bull',
  runWorkers: false,
  shutdownTimeoutMs: 25_000,
  startupTimeoutMs: 10_000,
  removeStaleCrons: true,
  allowVolatileRedis: false,
  metricsPrefix: 'acme_queues_',
  metricsScrapeTimeoutMs: 1000,
});

const METRIC_PREFIX = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?$/;

/**
 * Validates `QueuesModule` options at bootstrap (failing fast, naming the option, instead of on the
 * first job) and returns them with every default applied, so no use site applies its own.
 */
export function resolveQueuesOptions(options: QueuesModuleOptions): ResolvedQueuesOptions {
  if (typeof options !== 'object' || options === null) {
    throw new QueuesOptionsError('QueuesModule.forRoot needs options: { connection: { host, port } } (BullMQ ConnectionOptions).');
  }
  const { connection, prefix, runWorkers, shutdownTimeoutMs, startupTimeoutMs, metrics, removeStaleCrons, allowVolatileRedis } = options;
  if (typeof connection !== 'object' || connection === null) {
    throw new QueuesOptionsError(
      'QueuesModule option "connection" is required: BullMQ ConnectionOptions, i.e. ioredis options ({ host, port, password, tls }, ' +
        'or { url: process.env.REDIS_URL }), or an ioredis instance.',
    );
  }
  // A URL is parsed by ioredis itself (BullMQ passes it to `new Redis(url, rest)`); only its type is checked here.
  const url = (connection as { url?: unknown }).url;
  if (url !== undefined && (typeof url !== 'string' || url.trim() === '')) {
    throw new QueuesOptionsError(`QueuesModule option "connection.url" must be a Redis URL such as "redis://host:6379", got ${JSON.stringify(url)}.`);
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '' || prefix.includes(':'))) {
    throw new QueuesOptionsError('QueuesModule option "prefix" must be a non-empty string without ":" (on Redis Cluster a hash tag such as "{app}").');
  }
  // On Redis Cluster every key of a queue must share a slot: refuse a prefix without a hash tag now, not on the first add.
  assertClusterPrefix(connection, prefix ?? QUEUES_DEFAULTS.prefix);
  const flag = (name: string, value: unknown, fallback: boolean): boolean => {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw new QueuesOptionsError(`QueuesModule option "${name}" must be a boolean, got ${JSON.stringify(value)}.`);
    return value;
  };
  const milliseconds = (name: string, value: unknown, fallback: number): number => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new QueuesOptionsError(`QueuesModule option "${name}" must be a number of milliseconds >= 0, got ${JSON.stringify(value)}.`);
    }
    return value;
  };
  return {
    connection,
    prefix: prefix ?? QUEUES_DEFAULTS.prefix,
    runWorkers: flag('runWorkers', runWorkers, QUEUES_DEFAULTS.runWorkers),
    shutdownTimeoutMs: milliseconds('shutdownTimeoutMs', shutdownTimeoutMs, QUEUES_DEFAULTS.shutdownTimeoutMs),
    startupTimeoutMs: milliseconds('startupTimeoutMs', startupTimeoutMs, QUEUES_DEFAULTS.startupTimeoutMs),
    metrics: resolveMetrics(metrics),
    removeStaleCrons: flag('removeStaleCrons', removeStaleCrons, QUEUES_DEFAULTS.removeStaleCrons),
    allowVolatileRedis: flag('allowVolatileRedis', allowVolatileRedis, QUEUES_DEFAULTS.allowVolatileRedis),
  };
}

function resolveMetrics(metrics: QueuesModuleOptions['metrics']): ResolvedQueueMetrics | false {
  if (metrics === false) return false;
  const defaults = {
    registry: undefined,
    prefix: QUEUES_DEFAULTS.metricsPrefix,
    buckets: DEFAULT_BUCKETS,
    scrapeTimeoutMs: QUEUES_DEFAULTS.metricsScrapeTimeoutMs,
  };
  if (metrics === undefined) return { required: false, ...defaults };
  if (metrics === true) return { required: true, ...defaults };
  if (typeof metrics !== 'object' || metrics === null) {
    throw new QueuesOptionsError('QueuesModule option "metrics" must be a boolean or { registry?, prefix?, buckets?, scrapeTimeoutMs? }.');
  }
  const { registry, prefix, buckets, scrapeTimeoutMs } = metrics;
  if (registry !== undefined && typeof registry?.registerMetric !== 'function') {
    throw new QueuesOptionsError('QueuesModule option "metrics.registry" must be a prom-client Registry (new Registry() from prom-client).');
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix))) {
    throw new QueuesOptionsError(
      `QueuesModule option "metrics.prefix" must be a valid Prometheus metric name prefix (letters, digits, "_", ":"), got ${JSON.stringify(prefix)}.`,
    );
  }
  if (buckets !== undefined && (!Array.isArray(buckets) || buckets.length === 0 || buckets.some((bucket) => typeof bucket !== 'number'))) {
    throw new QueuesOptionsError('QueuesModule option "metrics.buckets" must be a non-empty array of numbers (seconds).');
  }
  if (scrapeTimeoutMs !== undefined && (typeof scrapeTimeoutMs !== 'number' || !Number.isFinite(scrapeTimeoutMs) || scrapeTimeoutMs <= 0)) {
    throw new QueuesOptionsError(
      `QueuesModule option "metrics.scrapeTimeoutMs" must be a number of milliseconds > 0 (under Prometheus' scrape_timeout), got ${JSON.stringify(scrapeTimeoutMs)}.`,
    );
  }
  return {
    required: true,
    registry,
    prefix: prefix ?? defaults.prefix,
    buckets: buckets ? [...buckets] : defaults.buckets,
    scrapeTimeoutMs: scrapeTimeoutMs ?? defaults.scrapeTimeoutMs,
  };
}
