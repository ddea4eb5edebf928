import { importOptional } from '@acme/nest-context';
import type { ConnectionOptions, Queue, Worker } from 'bullmq';
import { hostname } from 'node:os';
import type { AuditBatchJob } from './audit-batch';
import { AuditBatchFormatError, AuditMissingDependencyError, AuditRedisUnreachableError } from './audit.errors';
import type { ResolvedAuditQueue } from './resolve-audit-options';

/** An ioredis `Redis` or `Cluster` given as `connection` (BullMQ tells one by the same three methods). */
export interface RedisInstance {
  connect(): Promise<unknown>;
  disconnect(): void;
  duplicate(...args: any[]): RedisInstance;
  quit?(): Promise<unknown>;
  on?(event: string, listener: (...args: any[]) => void): unknown;
  isCluster?: boolean;
  options?: { redisOptions?: Record<string, unknown> };
}

/** A client the posture check reads (`INFO`, `CONFIG GET`); a cluster lists its masters. */
export interface PostureClient extends RedisInstance {
  info(section: string): Promise<string>;
  config?(op: 'GET', name: string): Promise<unknown>;
  nodes?(role: 'master'): PostureClient[];
}

export function isRedisInstance(connection: unknown): connection is RedisInstance {
  const candidate = connection as Partial<RedisInstance> | null | undefined;
  return typeof candidate?.connect === 'function' && typeof candidate.disconnect === 'function' && typeof candidate.duplicate === 'function';
}

/**
 * A connection of the module's own, with `overrides` (the settings the producer, the consumer or
 * the startup check needs): options get them on top (BullMQ opens and closes that client); an
 * instance is duplicated with them (`owned`: the module closes that copy, never the app's instance).
 */
export function ownConnection(connection: ConnectionOptions, overrides: Record<string, unknown>): { connection: ConnectionOptions; owned?: RedisInstance } {
  if (!isRedisInstance(connection)) return { connection: { ...connection, ...overrides } };
  const owned = duplicateWith(connection, overrides);
  return { connection: owned as unknown as ConnectionOptions, owned };
}

function duplicateWith(instance: RedisInstance, overrides: Record<string, unknown>): RedisInstance {
  // A Cluster takes (startup nodes, options), its nodes' settings under `redisOptions`.
  if (instance.isCluster) return instance.duplicate([], { ...overrides, redisOptions: { ...instance.options?.redisOptions, ...overrides } });
  return instance.duplicate(overrides);
}

const MISSING_QUEUE_PEERS =
  'AuditModule option "queue" needs bullmq and ioredis: install them (pnpm add bullmq ioredis), or leave "queue" out to write batches directly.';

async function loadBullmq(): Promise<typeof import('bullmq')> {
  const bullmq = await importOptional(() => import('bullmq'), 'bullmq');
  if (!bullmq) throw new AuditMissingDependencyError(MISSING_QUEUE_PEERS);
  return bullmq;
}

/**
 * A short-lived connection to the queue's Redis, connected (the startup checks use it): from
 * ioredis options (a `url` parsed by ioredis, as BullMQ does) or a duplicate of the app's
 * instance. No retries, no offline queue: an unreachable Redis fails fast. The caller quits it.
 */
export async function connectRedis(connection: ConnectionOptions, timeoutMs: number): Promise<PostureClient> {
  const overrides = { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: timeoutMs, retryStrategy: () => null };
  let client: PostureClient;
  if (isRedisInstance(connection)) {
    client = duplicateWith(connection, { ...overrides, clusterRetryStrategy: () => null }) as PostureClient;
  } else {
    const ioredis = await importOptional(() => import('ioredis'), 'ioredis');
    if (!ioredis) throw new AuditMissingDependencyError(MISSING_QUEUE_PEERS);
    const { url, ...rest } = connection as { url?: string };
    const settings = { ...rest, ...overrides };
    client = (url ? new ioredis.Redis(url, settings) : new ioredis.Redis(settings)) as unknown as PostureClient;
  }
  client.on?.('error', () => undefined); // the failed connect() reports it
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new AuditRedisUnreachableError(error);
  }
  return client;
}

/** The producer side: one job per batch (not per entry), deduplicated by the first entry id. */
export async function createAuditProducer(options: ResolvedAuditQueue): Promise<{ queue: Queue; owned?: RedisInstance }> {
  const { Queue } = await loadBullmq();
  // Fail fast while Redis is away (no offline queue): the batch is then written directly.
  const { connection, owned } = ownConnection(options.connection, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  owned?.on?.('error', () => undefined); // errors surface per add() and fall back there
  const queue = new Queue(options.name, {
    connection,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: 25,
      backoff: { type: 'exponential', delay: 250 },
      removeOnComplete: true,
      removeOnFail: false,
    },
  });
  return { queue, owned };
}

/**
 * Periodic work of the package that runs on the audit queue's consumer (the jobs of a job
 * scheduler), by job name (`task:<name>`); batch jobs are named 'batch'.
 */
export type AuditQueueTasks = ReadonlyMap<string, () => Promise<unknown>>;

/** The job name of a task: never 'batch'. */
export function auditTaskJobName(task: string): string {
  return `task:${task}`;
}

/** What a batch job returns: how many of its rows were new, and which consumer wrote them. */
export interface AuditBatchResult {
  inserted: number;
  writer: string;
}

/** The consumer side: writes each batch job; BullMQ retries failures and re-runs stalled jobs. */
export async function createAuditConsumer(
  options: ResolvedAuditQueue,
  write: (job: AuditBatchJob) => Promise<number>,
  tasks: AuditQueueTasks = new Map(),
): Promise<{ worker: Worker; owned?: RedisInstance }> {
  const { Worker } = await loadBullmq();
  const writer = `${hostname()}:${process.pid}`;
  const { connection, owned } = ownConnection(options.connection, { maxRetriesPerRequest: null });
  owned?.on?.('error', () => undefined); // the worker reports its own connection errors
  const worker = new Worker<AuditBatchJob, AuditBatchResult>(
    options.name,
    async (job) => {
      if (job.name.startsWith('task:')) {
        // A task this process does not run (its option is off here) is left to the processes that do.
        await tasks.get(job.name)?.();
        return { inserted: 0, writer };
      }
      if (job.data.v !== 1) throw new AuditBatchFormatError(job.data.v);
      return { inserted: await write(job.data), writer };
    },
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.lockDurationMs,
      maxStalledCount: options.maxStalledCount,
    },
  );
  return { worker, owned };
}
