import { importOptional } from '@acme/nest-context';
import { AuditMissingDependencyError } from './audit.errors';
import type { AuditMetricsRegistry } from './audit.options';
import type { ResolvedAuditMetrics } from './resolve-audit-options';

/** What the audit pipeline counts; a no-op when metrics are off or prom-client is not installed. */
export interface AuditMetrics {
  recorded(status: string): void;
  written(count: number, lagSeconds: number[]): void;
  batch(size: number): void;
  fallback(to: 'direct' | 'spool'): void;
  failure(stage: 'record' | 'enqueue' | 'write' | 'spool'): void;
  /** Batches taken and not yet seen in the table. */
  outstanding(batches: number): void;
  /** A batch sent again: the queue lost it, its job failed for good, or Redis did not answer. */
  redelivered(reason: 'lost' | 'failed' | 'unreachable'): void;
  /** 1 while the queue runs on a Redis accepted as volatile (`allowVolatileRedis`). */
  volatileRedis(volatile: boolean): void;
}

const NOOP: AuditMetrics = { recorded() {}, written() {}, batch() {}, fallback() {}, failure() {}, outstanding() {}, redelivered() {}, volatileRedis() {} };

interface Labelled {
  labels(...values: string[]): { inc(value?: number): void };
  inc(labels: Record<string, string>): void;
  inc(value?: number): void;
}

/**
 * Prometheus metrics in the registry of the `metrics` option (prom-client's default one, what
 * @willsoto/nestjs-prometheus serves, unless given), named `<prefix><name>`. A metric already in
 * the registry under that name (another app in the process, or an earlier copy of this package)
 * is reused, since prom-client refuses to register a name twice.
 */
export async function createAuditMetrics(settings: ResolvedAuditMetrics | false): Promise<AuditMetrics> {
  if (settings === false) return NOOP;
  const loaded: any = await importOptional(() => import('prom-client'), 'prom-client');
  if (!loaded) {
    if (!settings.required) return NOOP; // the default: metrics only when prom-client is there
    throw new AuditMissingDependencyError('AuditModule option "metrics" needs prom-client: install it (pnpm add prom-client), or set metrics: false.');
  }
  const prom = loaded.Counter ? loaded : loaded.default;
  const registry: AuditMetricsRegistry = settings.registry ?? prom.register;
  const registers = [registry];
  const { prefix } = settings;
  const metric = <T>(name: string, create: (name: string) => T): T => (registry.getSingleMetric(prefix + name) as T | undefined) ?? create(prefix + name);
  const counter = (name: string, help: string, labelNames: string[] = []): Labelled =>
    metric(name, (full) => new prom.Counter({ name: full, help, labelNames, registers }));
  const histogram = (name: string, help: string, buckets: number[]): { observe(value: number): void } =>
    metric(name, (full) => new prom.Histogram({ name: full, help, buckets, registers }));
  const gauge = (name: string, help: string): { set(value: number): void } => metric(name, (full) => new prom.Gauge({ name: full, help, registers }));

  const recorded = counter('entries_recorded_total', 'Audit entries recorded, by status', ['status']);
  const written = counter('entries_written_total', 'Audit entries written to the audit table');
  const fallbacks = counter('fallbacks_total', 'Batches that could not take the normal path, by where they went', ['to']);
  const failures = counter('failures_total', 'Audit pipeline failures, by stage', ['stage']);
  const redelivered = counter(
    'redelivered_total',
    'Batches sent again, by reason (lost: the queue no longer had it; failed: its job failed for good; unreachable: Redis did not answer)',
    ['reason'],
  );
  const outstanding = gauge('outstanding_batches', 'Batches taken by this process and not yet seen in the audit table');
  const volatileRedis = gauge('redis_volatile', '1 when the audit queue runs on a Redis accepted as volatile (allowVolatileRedis)');
  const batchSize = histogram('batch_size', 'Entries per batch', [1, 10, 50, 100, 250, 500, 1000, 5000]);
  const lag = histogram('lag_seconds', 'Time from the audited call to the row being written', [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300]);
  // Label children bound once: `inc({ status })` hashes the labels on every call (hot path).
  const recordedBy = { Success: recorded.labels('Success'), Failure: recorded.labels('Failure') } as Record<string, { inc(): void }>;
  return {
    recorded: (status) => (recordedBy[status] ?? recorded.labels(status)).inc(),
    written: (count, lags) => {
      written.inc(count);
      for (const seconds of lags) lag.observe(seconds);
    },
    batch: (size) => batchSize.observe(size),
    fallback: (to) => fallbacks.inc({ to }),
    failure: (stage) => failures.inc({ stage }),
    outstanding: (batches) => outstanding.set(batches),
    redelivered: (reason) => redelivered.inc({ reason }),
    volatileRedis: (volatile) => volatileRedis.set(volatile ? 1 : 0),
  };
}
