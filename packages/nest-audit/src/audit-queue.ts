import type { Queue, Worker } from 'bullmq';
import { hostname } from 'node:os';
import type { AuditBatchJob } from './audit-batch';
import { AuditBatchFormatError, AuditMissingDependencyError, AuditRedisUnreachableError } from './audit.errors';
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
    throw new AuditMissingDependencyError('AuditModule option "queue" needs bullmq and ioredis: pnpm add bullmq ioredis', { cause: error });
  }
}

/**
 * A short-lived ioredis connection to the queue's Redis, connected (the startup checks use it);
 * the caller quits it.
 */
export async function connectRedis(options: AuditQueueOptions, timeoutMs: number): Promise<import('ioredis').Redis> {
  let Redis: typeof import('ioredis').Redis;
  try {
    ({ Redis } = await import('ioredis'));
  } catch (error) {
    throw new AuditMissingDependencyError('AuditModule option "queue" needs bullmq and ioredis: pnpm add bullmq ioredis', { cause: error });
  }
  const client = new Redis(connectionOf(options.connection, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: timeoutMs, retryStrategy: () => null }));
  client.on('error', () => undefined); // the failed connect() reports it
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new AuditRedisUnreachableError(error);
  }
  return client;
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

/** What a batch job returns: how many of its rows were new, and which consumer wrote them. */
export interface AuditBatchResult {
  inserted: number;
  writer: string;
}

/** The consumer side: writes each batch job; BullMQ retries failures and re-runs stalled jobs. */
export async function createAuditConsumer(options: AuditQueueOptions, write: (job: AuditBatchJob) => Promise<number>): Promise<Worker> {
  const { Worker } = await loadBullmq();
  const writer = `${hostname()}:${process.pid}`;
  return new Worker<AuditBatchJob, AuditBatchResult>(options.name ?? 'audit-write', async (job) => {
    if (job.data.v !== 1) throw new AuditBatchFormatError(job.data.v);
    return { inserted: await write(job.data), writer };
  }, {
    connection: connectionOf(options.connection, { maxRetriesPerRequest: null }),
    prefix: options.prefix,
    concurrency: options.concurrency ?? 2,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.lockDurationMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 1,
  });
}
