import type { ConnectionOptions } from 'bullmq';

/**
 * Where metrics go: a prom-client `Registry`. Declared structurally (the two methods used), so
 * prom-client stays an optional peer and its types are not needed to compile.
 */
export interface MetricsRegistry {
  getSingleMetric(name: string): unknown;
  registerMetric(metric: any): void;
}

/** Prometheus metrics settings (the shape every @acme package with metrics takes). */
export interface QueueMetricsOptions {
  /**
   * Registry to register the metrics in.
   * @default prom-client's global `register` (the one @willsoto/nestjs-prometheus serves)
   */
  registry?: MetricsRegistry;
  /**
   * Prefix of every metric name.
   * @default 'acme_queues_'
   */
  prefix?: string;
  /**
   * Buckets of the processing-duration histogram, in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
   */
  buckets?: number[];
  /**
   * How long a scrape waits for Redis to answer the job counts of the `jobs` gauge. Past it (Redis
   * down or silent) the scrape answers without this app's `jobs` series; the other metrics are there.
   * @default 1000
   */
  scrapeTimeoutMs?: number;
}

/** Options of `QueuesModule.forRoot` / `forRootAsync`. */
export interface QueuesModuleOptions {
  /**
   * Redis connection for every queue, worker and scheduler, as BullMQ takes it (`ConnectionOptions`):
   * ioredis options (`{ host, port, password, tls }`; `{ url: 'redis://...' }` is parsed by ioredis),
   * or an ioredis `Redis`/`Cluster` instance you own (BullMQ duplicates it for its blocking
   * connections; you close it). A Redis Cluster is an ioredis `Cluster`, with a hash-tagged `prefix`.
   */
  connection: ConnectionOptions;
  /**
   * BullMQ key prefix. When `connection` is a Redis Cluster it must hold a hash tag, e.g. `'{crm}'`
   * (every key of a queue in one slot); startup refuses one without (`ClusterPrefixError`).
   * @default 'bull'
   */
  prefix?: string;
  /**
   * Start the `@QueueProcessor` workers (and register `@Cron` schedulers) when this app boots.
   * Leave it off in the HTTP process: `bootstrapWorker(WorkerModule)` starts them in the worker process.
   * @default false
   */
  runWorkers?: boolean;
  /**
   * On shutdown, how long active jobs may run to completion before they are released back to the
   * queue for another worker (they are retried there, never lost).
   * @default 25_000 (under Kubernetes' default 30 s grace period)
   */
  shutdownTimeoutMs?: number;
  /**
   * How long starting the workers may take (connecting to Redis, registering schedulers) before it
   * fails with `WorkerStartupError`.
   * @default 10_000
   */
  startupTimeoutMs?: number;
  /**
   * Prometheus metrics: jobs completed/failed/retried/dead-lettered per queue, processing duration,
   * and waiting/active/delayed/failed gauges. `true` requires prom-client; `false` turns them off.
   * @default true when prom-client is installed, else off
   */
  metrics?: boolean | QueueMetricsOptions;
  /**
   * When workers start, remove the job schedulers this package created for crons that are no
   * longer in the code (schedulers created by other means are never touched).
   * @default true
   */
  removeStaleCrons?: boolean;
  /**
   * Accept a Redis that can lose acknowledged jobs: AOF off (a restart loses them) or a
   * `maxmemory-policy` other than `noeviction` (memory pressure deletes them), or one whose settings
   * cannot be read. For tests and development. Without it, startup (producers and workers) refuses
   * such a Redis with `RedisDurabilityError` (`CONTEXT_REDIS_NOT_DURABLE`); with it, a warning is logged
   * once and the `redis_volatile` gauge is 1.
   * @default false
   */
  allowVolatileRedis?: boolean;
}

/** Extras that shape the module itself rather than its behaviour. */
export interface QueuesModuleExtras {
  /**
   * Register the module globally, so `QueuesModule.forFeature` and any module can use its services.
   * `forFeature` needs it: keep it on unless everything lives in one module.
   * @default true
   */
  isGlobal?: boolean;
}
