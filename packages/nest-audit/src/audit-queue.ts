import type { Queue, Worker } from 'bullmq';
import type { AuditQueueOptions } from './audit.options';

/** BullMQ connection options from a Redis URL or ioredis options. */
export function connectionOf(connection: AuditQueueOptions['connection'], extra: Record<string, unknown> = {}) {
  if (typeof connection !== 'string') return { ...connection, ...extra };
  const url = new URL(connection);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.pathname.length > 1 ? { db: Number(url.pathname.slice(1)) } : {}),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    ...extra,
  };
}

async function loadBullmq(): Promise<typeof import('bullmq')> {
  try {
    return await import('bullmq');
  } catch (error) {
    throw new Error('AuditModule option "queue" needs bullmq and ioredis: pnpm add bullmq ioredis', { cause: error });
  }
}

/** The producer side: one job per batch (not per entry), deduplicated by the first entry id. */
export async function createAuditProducer(options: AuditQueueOptions): Promise<Queue> {
  const { Queue } = await loadBullmq();
  // Fail fast while Redis is away (no offline queue): the batch is then written directly.
  return new Queue(options.name ?? 'audit-write', {
    connection: connectionOf(options.connection, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: 25,
      backoff: { type: 'exponential', delay: 250 },
      removeOnComplete: true,
      removeOnFail: false,
    },
  });
}

/** A batch job: the entries in column form (see `insertParameters`), versioned for rolling upgrades. */
export interface AuditBatchJob {
  v: 1;
  columns: unknown[][];
}

/** The consumer side: writes each batch job; BullMQ retries failures and re-runs stalled jobs. */
export async function createAuditConsumer(options: AuditQueueOptions, write: (columns: unknown[][]) => Promise<void>): Promise<Worker> {
  const { Worker } = await loadBullmq();
  return new Worker<AuditBatchJob>(options.name ?? 'audit-write', async (job) => {
    if (job.data.v !== 1) throw new Error(`Unknown audit batch format ${String(job.data.v)}: upgrade the consumer.`);
    await write(job.data.columns);
  }, {
    connection: connectionOf(options.connection, { maxRetriesPerRequest: null }),
    prefix: options.prefix,
    concurrency: options.concurrency ?? 2,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.lockDurationMs ?? 30_000,
  });
}
