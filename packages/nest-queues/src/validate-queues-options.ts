import { QueuesOptionsError } from './queues.errors';
import type { QueuesModuleOptions } from './queues.options';

/** Fails fast at bootstrap, naming the option, instead of on the first job. */
export function validateQueuesOptions(options: QueuesModuleOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new QueuesOptionsError('QueuesModule.forRoot needs options: { connection: { url: process.env.REDIS_URL } }.');
  }
  const { connection, prefix, runWorkers, shutdownTimeoutMs, startupTimeoutMs, metrics, removeStaleCrons, allowVolatileRedis } = options;
  if (typeof connection !== 'object' || connection === null) {
    throw new QueuesOptionsError(
      'QueuesModule option "connection" is required: { url: "redis://host:6379" }, ioredis options, or an ioredis instance.',
    );
  }
  const url = (connection as { url?: unknown }).url;
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new QueuesOptionsError(`QueuesModule option "connection.url" must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}.`);
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '' || prefix.includes(':'))) {
    throw new QueuesOptionsError('QueuesModule option "prefix" must be a non-empty string without ":".');
  }
  for (const [name, value] of [
    ['runWorkers', runWorkers],
    ['removeStaleCrons', removeStaleCrons],
    ['allowVolatileRedis', allowVolatileRedis],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new QueuesOptionsError(`QueuesModule option "${name}" must be a boolean.`);
  }
  for (const [name, value] of [
    ['shutdownTimeoutMs', shutdownTimeoutMs],
    ['startupTimeoutMs', startupTimeoutMs],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new QueuesOptionsError(`QueuesModule option "${name}" must be a number of milliseconds >= 0.`);
    }
  }
  if (metrics !== undefined && typeof metrics !== 'boolean') {
    if (typeof metrics !== 'object' || metrics === null) {
      throw new QueuesOptionsError('QueuesModule option "metrics" must be a boolean or { registry?, prefix?, buckets? }.');
    }
    if (metrics.registry !== undefined && typeof metrics.registry?.registerMetric !== 'function') {
      throw new QueuesOptionsError('QueuesModule option "metrics.registry" must be a prom-client Registry.');
    }
    if (metrics.prefix !== undefined && (typeof metrics.prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$|^$/.test(metrics.prefix))) {
      throw new QueuesOptionsError('QueuesModule option "metrics.prefix" must be a valid Prometheus metric name prefix.');
    }
    if (metrics.buckets !== undefined && (!Array.isArray(metrics.buckets) || metrics.buckets.some((b) => typeof b !== 'number'))) {
      throw new QueuesOptionsError('QueuesModule option "metrics.buckets" must be an array of numbers (seconds).');
    }
  }
}
