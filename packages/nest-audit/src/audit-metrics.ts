import { Logger } from '@nestjs/common';

/** What the audit pipeline counts; a no-op when prom-client is not installed. */
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

/**
 * Prometheus metrics in prom-client's default registry (what @willsoto/nestjs-prometheus
 * serves), created once per process and shared by every app instance in it.
 */
export async function createAuditMetrics(): Promise<AuditMetrics> {
  let client: typeof import('prom-client');
  try {
    client = await import('prom-client');
  } catch {
    return NOOP;
  }
  try {
    const { register, Counter, Gauge, Histogram } = client;
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      (register.getSingleMetric(name) as InstanceType<typeof Counter> | undefined) ?? new Counter({ name, help, labelNames });
    const histogram = (name: string, help: string, buckets: number[]) =>
      (register.getSingleMetric(name) as InstanceType<typeof Histogram> | undefined) ?? new Histogram({ name, help, buckets });
    const gauge = (name: string, help: string) => (register.getSingleMetric(name) as InstanceType<typeof Gauge> | undefined) ?? new Gauge({ name, help });
    const recorded = counter('acme_audit_entries_recorded_total', 'Audit entries recorded, by status', ['status']);
    const written = counter('acme_audit_entries_written_total', 'Audit entries written to the audit table');
    const fallbacks = counter('acme_audit_fallbacks_total', 'Batches that could not take the normal path, by where they went', ['to']);
    const failures = counter('acme_audit_failures_total', 'Audit pipeline failures, by stage', ['stage']);
    const redelivered = counter('acme_audit_redelivered_total', 'Batches sent again, by reason (lost: the queue no longer had it; failed: its job failed for good; unreachable: Redis did not answer)', ['reason']);
    const outstanding = gauge('acme_audit_outstanding_batches', 'Batches taken by this process and not yet seen in the audit table');
    const volatileRedis = gauge('acme_audit_redis_volatile', '1 when the audit queue runs on a Redis accepted as volatile (allowVolatileRedis)');
    const batchSize = histogram('acme_audit_batch_size', 'Entries per batch', [1, 10, 50, 100, 250, 500, 1000, 5000]);
    const lag = histogram('acme_audit_lag_seconds', 'Time from the audited call to the row being written', [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 300]);
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
  } catch (error) {
    new Logger('AuditMetrics').warn(`Audit metrics disabled: ${String(error)}`);
    return NOOP;
  }
}
