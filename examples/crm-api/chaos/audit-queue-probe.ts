import { Queue } from 'bullmq';

/** The audit queue as @acme/nest-audit names it (its default `queue.name`). */
const AUDIT_QUEUE = 'audit-write';

export interface AuditQueueState {
  /** Batches not written yet: waiting, active (a dead worker's stay active until their lock expires), delayed retries. */
  pending: number;
  /** Batches that used up their attempts: entries that will never be written unless someone retries them. */
  failed: number;
  /** Consumers connected (the worker's audit writer). */
  writers: number;
}

/** Reads the audit queue's counts from Redis: the run waits for writers at start and for an empty queue at the end. */
export class AuditQueueProbe {
  private readonly queue: Queue;

  constructor(redisPort: number, prefix: string) {
    // Fail fast while Redis is down (the probe is polled), reconnect when it is back.
    this.queue = new Queue(AUDIT_QUEUE, { connection: { host: '127.0.0.1', port: redisPort, enableOfflineQueue: false, maxRetriesPerRequest: 1 }, prefix });
    this.queue.on('error', () => undefined);
  }

  /** The counts, or null while Redis cannot answer. */
  async state(): Promise<AuditQueueState | null> {
    try {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed');
      const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0);
      return { pending, failed: counts.failed ?? 0, writers: await this.queue.getWorkersCount() };
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
  }
}
