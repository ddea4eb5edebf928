import { withTimeout } from '@acme/nest-context';
import { AuditTimeoutError } from './audit.errors';
import type { Logger } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { batchId, batchOccurredAt, batchSize, type AuditBatchJob } from './audit-batch';
import type { AuditMetrics } from './audit-metrics';
import type { AuditSpool, SpoolSegment } from './audit-spool';
import type { AuditWriter } from './audit-writer';

/** A batch this process took and the table does not have yet. */
interface Outstanding {
  readonly id: string;
  readonly job: AuditBatchJob;
  segment: SpoolSegment | undefined;
  /** When the queue last took it; null while nothing took it (queue and database away). */
  sentAt: number | null;
  lastTry: number;
}

export interface AuditDeliveryOptions {
  producer: Queue | undefined;
  spool: AuditSpool;
  writer: AuditWriter;
  /** Writes a batch to the table (with the written metrics). */
  write: (job: AuditBatchJob) => Promise<void>;
  metrics: AuditMetrics;
  logger: Logger;
  sendTimeoutMs: number;
  redeliverAfterMs: number;
}

/** Batches the queue took are looked for in the table after this long. */
const CONFIRM_AFTER_MS = 500;
/** Batches nothing took are tried again this often. */
const RETRY_EVERY_MS = 1_000;
/** Ids per lookup in the table. */
const LOOKUP_CHUNK = 1_000;

/**
 * Delivers batches so that none is lost: each is spooled, then handed to the queue (or written
 * directly), and stays outstanding until the table is seen to have it. `reconcile` (every
 * second) settles what the table has, retries what nothing took, and sends again what the
 * queue lost: a batch unseen after `redeliverAfterMs` whose job Redis no longer knows (a
 * restart without persistence, a failover to a replica behind) is re-added under the same job
 * id, and one whose job failed for good is written directly. Writes are idempotent by entry
 * id, so any overlap is stored once.
 */
export class AuditDelivery {
  private readonly outstanding = new Map<string, Outstanding>();
  private round: Promise<void> | undefined;

  constructor(private readonly options: AuditDeliveryOptions) {}

  /** Batches taken and not yet seen in the table. */
  get pending(): number {
    return this.outstanding.size;
  }

  /** Takes a batch: spools it, then sends it. Never throws: what cannot travel now waits in the spool. */
  async deliver(job: AuditBatchJob): Promise<void> {
    const item: Outstanding = { id: batchId(job), job, segment: undefined, sentAt: null, lastTry: 0 };
    try {
      item.segment = await this.options.spool.append(job);
    } catch (error) {
      // Still tracked in memory, so a Redis restart loses nothing while this process lives.
      this.options.metrics.failure('spool');
      this.options.logger.error(`Audit batch of ${batchSize(job)} could not be spooled (${String(error)}); it is kept in memory until stored.`);
    }
    this.outstanding.set(item.id, item);
    this.options.metrics.outstanding(this.outstanding.size);
    await this.send(item);
  }

  /** One reconciliation round (rounds never overlap). */
  reconcile(confirmAfterMs = CONFIRM_AFTER_MS): Promise<void> {
    this.round ??= this.reconcileOnce(confirmAfterMs).finally(() => (this.round = undefined));
    return this.round;
  }

  /**
   * Shutdown: reconciles until nothing is outstanding or `ms` have passed. What is left stays
   * in the spool (and in the queue) for a later process.
   */
  async settleWithin(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      await this.round;
      await this.reconcile(0);
      if (this.outstanding.size === 0 || Date.now() >= deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private async reconcileOnce(confirmAfterMs: number): Promise<void> {
    const now = Date.now();
    await this.retryUnsent(now);
    const inQueue = [...this.outstanding.values()].filter((item) => item.sentAt !== null && now - item.sentAt >= confirmAfterMs);
    const stored = await this.lookup(inQueue);
    if (!stored) return; // database away: next round
    for (const item of inQueue) if (stored.has(item.id)) this.settle(item);
    await this.redeliverLost(
      inQueue.filter((item) => !stored.has(item.id) && now - item.sentAt! >= this.options.redeliverAfterMs),
      now,
    );
    this.options.metrics.outstanding(this.outstanding.size);
  }

  /** Oldest first; stops at the first batch still refused (both paths are down). */
  private async retryUnsent(now: number): Promise<void> {
    for (const item of this.outstanding.values()) {
      if (item.sentAt !== null || now - item.lastTry < RETRY_EVERY_MS) continue;
      if (!(await this.send(item))) return;
    }
  }

  private async lookup(items: Outstanding[]): Promise<Set<string> | undefined> {
    const stored = new Set<string>();
    try {
      for (let i = 0; i < items.length; i += LOOKUP_CHUNK) {
        const chunk = items.slice(i, i + LOOKUP_CHUNK);
        const times = chunk.map((item) => batchOccurredAt(item.job).getTime());
        const found = await this.options.writer.stored(
          chunk.map((item) => item.id),
          new Date(Math.min(...times)),
          new Date(Math.max(...times)),
        );
        for (const id of found) stored.add(id);
      }
      return stored;
    } catch {
      return undefined;
    }
  }

  /** Asks the queue about overdue batches: gone -> sent again; failed for good, or Redis away -> written directly. */
  private async redeliverLost(overdue: Outstanding[], now: number): Promise<void> {
    const producer = this.options.producer;
    if (!producer || overdue.length === 0) return;
    const states = await Promise.all(overdue.map((item) => producer.getJobState(item.id).catch(() => 'unreachable' as const)));
    for (const [index, item] of overdue.entries()) {
      const state = states[index];
      if (state === 'unknown') {
        this.options.metrics.redelivered('lost');
        this.options.logger.warn(`Audit batch ${item.id} (${batchSize(item.job)} entries) is no longer in the queue and not stored: sending it again.`);
        await this.send(item);
      } else if (state === 'failed' || state === 'completed' || state === 'unreachable') {
        // Failed for good, or Redis is away (no consumer can take it there either): write it here.
        this.options.metrics.redelivered(state === 'unreachable' ? 'unreachable' : 'failed');
        await this.send(item, { direct: true });
      } else {
        item.sentAt = now; // waiting or being written: look again after redeliverAfterMs
      }
    }
  }

  /** The queue when there is one and it answers in time, else the table. Resolves false when neither took it. */
  private async send(item: Outstanding, { direct = false } = {}): Promise<boolean> {
    const { producer, metrics, logger } = this.options;
    const firstTry = item.lastTry === 0;
    item.lastTry = Date.now();
    if (producer && !direct) {
      try {
        await withTimeout(
          producer.add('batch', item.job, { jobId: item.id }),
          this.options.sendTimeoutMs,
          () => new AuditTimeoutError(this.options.sendTimeoutMs),
        );
        item.sentAt = Date.now();
        return true;
      } catch (error) {
        metrics.failure('enqueue');
        metrics.fallback('direct');
        if (firstTry) logger.warn(`Audit queue unavailable, writing a batch of ${batchSize(item.job)} directly: ${String(error)}`);
      }
    }
    try {
      await this.options.write(item.job);
      this.settle(item);
      return true;
    } catch (error) {
      item.sentAt = null;
      if (firstTry) {
        metrics.fallback('spool');
        logger.warn(`Audit batch of ${batchSize(item.job)} kept in the spool (queue and database unavailable), retried every second: ${String(error)}`);
      }
      return false;
    }
  }

  private settle(item: Outstanding): void {
    if (!this.outstanding.delete(item.id)) return;
    if (item.segment) this.options.spool.settle(item.segment);
  }
}
