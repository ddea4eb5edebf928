import type { QueueHealthCounts } from './job-counts';
import type { MetricsRegistry } from './queues.options';

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
export const GAUGE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

type Labels = Record<string, string>;
interface Counter {
  labels(labels: Labels): { inc(value?: number): void };
}
interface Histogram {
  labels(labels: Labels): { observe(value: number): void };
}
export type GaugeSource = () => Promise<Array<[queue: string, counts: QueueHealthCounts]>>;
/** Whether one app's queues run on a Redis accepted as volatile (`allowVolatileRedis`). */
export type VolatileSource = () => boolean;

/** The prom-client instruments of one registry, shared by every app in the process that uses it. */
export interface Instruments {
  completed: Counter;
  failed: Counter;
  retried: Counter;
  deadLettered: Counter;
  duration: Histogram;
  sources: Set<GaugeSource>;
  volatileSources: Set<VolatileSource>;
}

// Per registry, because prom-client refuses to register a metric name twice: two apps in one
// process (an API and a worker in tests, or two Nest contexts) share the instruments.
export const instrumentsByRegistry = new WeakMap<object, Instruments>();

/** Creates the counters, histogram and gauge of `registry` (reusing any already registered there). */
export function createInstruments(prom: any, registry: MetricsRegistry, prefix: string, buckets: number[]): Instruments {
  const registers = [registry];
  // Reuse a metric a previous copy of this package registered under the same name.
  const metric = <T>(name: string, create: () => T): T => (registry.getSingleMetric(prefix + name) as T | undefined) ?? create();
  const sources = new Set<GaugeSource>();
  const counter = (name: string, help: string): Counter =>
    metric(name, () => new prom.Counter({ name: prefix + name, help, labelNames: ['queue'], registers }));
  metric('jobs', () => {
    return new prom.Gauge({
      name: `${prefix}jobs`,
      help: 'Jobs per queue and state (waiting, active, delayed, failed), read from Redis on scrape.',
      labelNames: ['queue', 'state'],
      registers,
      async collect(this: { reset(): void; set(labels: Labels, value: number): void }) {
        const results = await Promise.allSettled([...sources].map((source) => source()));
        this.reset();
        for (const result of results) {
          // Redis unreachable or too slow (each source is bounded by its `metrics.scrapeTimeoutMs`): its
          // series are left out of this scrape, and the health check reports the outage.
          if (result.status !== 'fulfilled') continue;
          for (const [queue, counts] of result.value) {
            for (const state of GAUGE_STATES) this.set({ queue, state }, counts[state]);
          }
        }
      },
    });
  });
  const volatileSources = new Set<VolatileSource>();
  metric('redis_volatile', () => {
    return new prom.Gauge({
      name: `${prefix}redis_volatile`,
      help: '1 when the queues run on a Redis accepted as volatile (allowVolatileRedis: AOF off or an evicting maxmemory-policy), else 0.',
      registers,
      collect(this: { set(value: number): void }) {
        this.set([...volatileSources].some((source) => source()) ? 1 : 0);
      },
    });
  });
  return {
    completed: counter('jobs_completed_total', 'Jobs processed successfully.'),
    failed: counter('jobs_failed_total', 'Jobs that exhausted their attempts or failed unrecoverably.'),
    retried: counter('jobs_retried_total', 'Failed job attempts that will be retried.'),
    deadLettered: counter('jobs_dead_lettered_total', 'Jobs copied to their dead-letter queue.'),
    duration: metric(
      'job_duration_seconds',
      () =>
        new prom.Histogram({
          name: `${prefix}job_duration_seconds`,
          help: 'Processing time of one job attempt, by outcome.',
          labelNames: ['queue', 'status'],
          buckets,
          registers,
        }),
    ),
    sources,
    volatileSources,
  };
}
