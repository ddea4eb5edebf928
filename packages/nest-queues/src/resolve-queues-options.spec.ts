import { describe, expect, it } from 'vitest';
import { DEFAULT_BUCKETS } from './metric-instruments';
import { QueuesOptionsError } from './queues.errors';
import { resolveQueuesOptions } from './resolve-queues-options';

describe('resolveQueuesOptions', () => {
  const connection = { host: '127.0.0.1', port: 6379 };

  it('applies every default once, so no use site needs its own', () => {
    expect(resolveQueuesOptions({ connection })).toEqual({
      connection,
      prefix: 'bull',
      runWorkers: false,
      shutdownTimeoutMs: 25_000,
      startupTimeoutMs: 10_000,
      metrics: { required: false, registry: undefined, prefix: 'acme_queues_', buckets: DEFAULT_BUCKETS, scrapeTimeoutMs: 1000 },
      removeStaleCrons: true,
      allowVolatileRedis: false,
    });
  });

  it('keeps what is given; metrics: true or an object requires prom-client, false turns them off', () => {
    const registry = { getSingleMetric: () => undefined, registerMetric: () => undefined };
    const resolved = resolveQueuesOptions({
      connection,
      prefix: '{crm}',
      runWorkers: true,
      shutdownTimeoutMs: 0,
      metrics: { registry, prefix: 'crm_', scrapeTimeoutMs: 250 },
    });
    expect(resolved).toMatchObject({ prefix: '{crm}', runWorkers: true, shutdownTimeoutMs: 0 });
    expect(resolved.metrics).toEqual({ required: true, registry, prefix: 'crm_', buckets: DEFAULT_BUCKETS, scrapeTimeoutMs: 250 });
    expect(resolveQueuesOptions({ connection, metrics: true }).metrics).toMatchObject({ required: true, prefix: 'acme_queues_' });
    expect(resolveQueuesOptions({ connection, metrics: false }).metrics).toBe(false);
  });

  it('passes a URL to ioredis as it is: no scheme check of its own', () => {
    for (const url of ['redis://localhost:6379', 'rediss://user:pass@host:6380/2', '/var/run/redis.sock']) {
      expect(resolveQueuesOptions({ connection: { url } }).connection).toEqual({ url });
    }
  });

  it('names the option it refuses', () => {
    expect(() => resolveQueuesOptions({ connection, removeStaleCrons: 1 } as never)).toThrow(QueuesOptionsError);
    expect(() => resolveQueuesOptions({ connection, removeStaleCrons: 1 } as never)).toThrow('option "removeStaleCrons"');
    expect(() => resolveQueuesOptions(undefined as never)).toThrow(/needs options/);
    for (const scrapeTimeoutMs of [0, -1, Number.POSITIVE_INFINITY, '1000']) {
      expect(() => resolveQueuesOptions({ connection, metrics: { scrapeTimeoutMs } } as never)).toThrow('option "metrics.scrapeTimeoutMs"');
    }
  });
});
