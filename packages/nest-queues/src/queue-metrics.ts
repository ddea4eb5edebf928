import { importOptional, withTimeout } from '@acme/nest-context';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { readJobCounts, type QueueHealthCounts } from './job-counts';
import { QueueRegistry } from './queue-registry';
import { RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import { QueuesOptionsError, RedisUnreachableError } from './queues.errors';
import type { MetricsRegistry } from './queues.options';
import type { ResolvedQueueMetrics, ResolvedQueuesOptions } from './resolve-queues-options';
import { createInstruments, instrumentsByRegistry, type GaugeSource, type Instruments, type VolatileSource } from './metric-instruments';

/** Per-queue children of the instruments, cached so the hot path skips label hashing. */
interface QueueInstruments {
  completed: { inc(): void };
  failed: { inc(): void };
  retried: { inc(): void };
  deadLettered: { inc(): void };
  durationCompleted: { observe(value: number): void };
  durationFailed: { observe(value: number): void };
}

/**
 * Prometheus metrics of the queues this app produces to or processes, when prom-client is
 * installed: `<prefix>jobs_completed_total`, `jobs_failed_total` (attempts exhausted),
 * `jobs_retried_total`, `jobs_dead_lettered_total`, `job_duration_seconds` (by status) and the
 * `jobs` gauge (waiting/active/delayed/failed, read from Redis on scrape), labelled by `queue`, and
 * `redis_volatile` (1 while the queues run on a Redis accepted by `allowVolatileRedis`).
 */
@Injectable()
export class QueueMetrics implements OnModuleInit, OnApplicationShutdown {
  private instruments?: Instruments;
  private readonly perQueue = new Map<string, QueueInstruments>();
  /** The read of the job counts still waiting for Redis, if any: scrapes share it rather than queue more. */
  private reading?: Promise<Array<[string, QueueHealthCounts]>>;
  /**
   * Reads the job counts of this app's queues for the `jobs` gauge, within `metrics.scrapeTimeoutMs`:
   * while Redis does not answer, ioredis holds the commands until it reconnects, and a scrape must
   * not wait for that. A read past the deadline rejects, and the gauge leaves this app's series out.
   */
  private readonly source: GaugeSource = () => {
    const { scrapeTimeoutMs } = this.options.metrics as ResolvedQueueMetrics;
    this.reading ??= Promise.all(
      [...this.registry.known].map(async (name): Promise<[string, QueueHealthCounts]> => [name, await readJobCounts(this.registry.get(name))]),
    ).finally(() => (this.reading = undefined));
    return withTimeout(
      this.reading,
      scrapeTimeoutMs,
      () =>
        new RedisUnreachableError(
          `Redis did not answer the job counts of the "jobs" gauge within ${scrapeTimeoutMs} ms: check that it is reachable at QueuesModule option "connection".`,
        ),
    );
  };

  private volatile = false;
  private readonly volatileSource: VolatileSource = () => this.volatile;

  constructor(
    @Inject(RESOLVED_QUEUES_OPTIONS) private readonly options: ResolvedQueuesOptions,
    @Inject(QueueRegistry) private readonly registry: QueueRegistry,
  ) {}

  /** True when prom-client was found (or required) and metrics are being recorded. */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  async onModuleInit(): Promise<void> {
    const settings = this.options.metrics;
    if (settings === false) return;
    const loaded: any = await importOptional(() => import('prom-client'), 'prom-client');
    if (!loaded) {
      if (!settings.required) return; // the default: metrics only when prom-client is there
      throw new QueuesOptionsError('QueuesModule option "metrics" needs prom-client: install it (pnpm add prom-client), or set metrics: false.');
    }
    const prom = loaded.Counter ? loaded : loaded.default;
    const registry: MetricsRegistry = settings.registry ?? prom.register;
    let instruments = instrumentsByRegistry.get(registry);
    if (!instruments) {
      instruments = createInstruments(prom, registry, settings.prefix, settings.buckets);
      instrumentsByRegistry.set(registry, instruments);
    }
    instruments.sources.add(this.source);
    instruments.volatileSources.add(this.volatileSource);
    this.instruments = instruments;
  }

  onApplicationShutdown(): void {
    this.instruments?.sources.delete(this.source);
    this.instruments?.volatileSources.delete(this.volatileSource);
  }

  /** Whether the startup check found the Redis volatile (and `allowVolatileRedis` accepted it). */
  redisVolatile(volatile: boolean): void {
    this.volatile = volatile;
  }

  /** A job attempt succeeded after `seconds` of processing. */
  completed(queue: string, seconds: number): void {
    const q = this.of(queue);
    if (!q) return;
    q.completed.inc();
    q.durationCompleted.observe(seconds);
  }

  /** A job attempt threw after `seconds` of processing (it may still be retried). */
  attemptFailed(queue: string, seconds: number): void {
    this.of(queue)?.durationFailed.observe(seconds);
  }

  /** A failed attempt will be retried. */
  retried(queue: string): void {
    this.of(queue)?.retried.inc();
  }

  /** A job exhausted its attempts (or failed unrecoverably). */
  failed(queue: string): void {
    this.of(queue)?.failed.inc();
  }

  deadLettered(queue: string): void {
    this.of(queue)?.deadLettered.inc();
  }

  private of(queue: string): QueueInstruments | undefined {
    const instruments = this.instruments;
    if (!instruments) return undefined;
    let children = this.perQueue.get(queue);
    if (!children) {
      const labels = { queue };
      children = {
        completed: instruments.completed.labels(labels),
        failed: instruments.failed.labels(labels),
        retried: instruments.retried.labels(labels),
        deadLettered: instruments.deadLettered.labels(labels),
        durationCompleted: instruments.duration.labels({ queue, status: 'completed' }),
        durationFailed: instruments.duration.labels({ queue, status: 'failed' }),
      };
      this.perQueue.set(queue, children);
    }
    return children;
  }
}
