import type { Logger } from '@nestjs/common';
import { DelayedError, type Job, type RedisClient } from 'bullmq';
import { ADMIT_JOB, EXTEND_LEASE, RELEASE_LEASE, RESERVE_TURNS } from './fairness-scripts';
import type { ResolvedFairness } from './fairness.options';
import { isQueueJobData } from './queue-job';
import { FairQueuePriorityError } from './queues.errors';

/** The share of jobs enqueued outside any workspace (crons, system jobs): one bucket of their own. */
const NO_WORKSPACE = '~';

/** What fairness needs of a BullMQ `Queue` or `Worker`: its key names and its Redis backend. */
interface QueueKeys {
  readonly name: string;
  toKey(type: string): string;
  getBackend(): unknown;
}

const COMMANDS = {
  acmeFairReserve: { numberOfKeys: 2, lua: RESERVE_TURNS },
  acmeFairAdmit: { numberOfKeys: 3, lua: ADMIT_JOB },
  acmeFairExtend: { numberOfKeys: 1, lua: EXTEND_LEASE },
  acmeFairRelease: { numberOfKeys: 1, lua: RELEASE_LEASE },
} as const;
type Command = keyof typeof COMMANDS;

const prepared = new WeakSet<RedisClient>();

/** Runs one of the scripts on the queue's client (BullMQ's adapter runs it by EVALSHA and reloads it after a Redis restart). */
async function run(queue: QueueKeys, name: Command, args: (string | number)[]): Promise<unknown> {
  // BullMQ's Redis escape hatch, as for closing: the raw client of the queue or worker.
  const client = await (queue.getBackend() as { client: Promise<RedisClient> }).client;
  if (!prepared.has(client)) {
    for (const [command, definition] of Object.entries(COMMANDS)) client.defineCommand(command, definition);
    prepared.add(client);
  }
  return client.runCommand(name, args);
}

/** The fairness bucket of a job: the workspace of the context it was enqueued in. */
export function bucketOf(workspaceId: string | null | undefined): string {
  return workspaceId ?? NO_WORKSPACE;
}

/** Refuses a per-job `priority` on a fair queue (the queue's turns are its priorities). */
export function assertNoPriority(queue: string, priority: unknown): void {
  if (priority !== undefined && priority !== 0) throw new FairQueuePriorityError(queue);
}

/**
 * Producer side: gives each job of a fair queue its turn (a BullMQ priority), atomically in Redis,
 * so concurrent producers in any number of processes share one order.
 */
export class FairTurns {
  constructor(private readonly queue: QueueKeys) {}

  /** One priority per job, for jobs of these workspaces in this order. */
  async reserve(workspaceIds: readonly (string | null | undefined)[]): Promise<number[]> {
    if (workspaceIds.length === 0) return [];
    const keys = [this.queue.toKey('prioritized'), this.queue.toKey('fair')];
    return (await run(this.queue, 'acmeFairReserve', [...keys, ...workspaceIds.map(bucketOf)])) as number[];
  }
}

/** A running job's hold on its workspace's concurrency slot. */
export interface FairLease {
  release(): Promise<void>;
}

const NO_LEASE: FairLease = { release: async () => undefined };

/**
 * Worker side: admits a job of a fair queue under its workspace's concurrency cap and rate, or
 * moves it back to the delayed set (not counted as an attempt) until it can run.
 */
export class FairGate {
  constructor(
    private readonly queue: QueueKeys,
    private readonly fairness: ResolvedFairness,
    /** How long a slot stays held without being extended: a crashed worker's slots free after it. */
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  /** True when the queue has a cap or a rate to enforce (otherwise workers skip the gate). */
  static needed(fairness: ResolvedFairness | null): fairness is ResolvedFairness {
    return !!fairness && (fairness.concurrency > 0 || fairness.intervalMs > 0);
  }

  /**
   * Admits `job` and returns its lease; or moves it to the delayed set and throws BullMQ's
   * `DelayedError`, which tells the worker the job was not processed (no attempt is counted).
   */
  async admit(job: Job, token: string | undefined): Promise<FairLease> {
    const data: unknown = job.data;
    const bucket = bucketOf(isQueueJobData(data) ? data.context?.workspaceId : null);
    const id = String(job.id);
    const keys = this.keys(bucket);
    const { concurrency, intervalMs } = this.fairness;
    const wait = Number(await run(this.queue, 'acmeFairAdmit', [keys.leases, keys.nextStart, keys.reserved, id, this.leaseMs, concurrency, intervalMs]));
    if (wait === 0) return concurrency > 0 ? this.lease(keys.leases, id) : NO_LEASE;
    await job.moveToDelayed(Date.now() + (wait > 0 ? wait : this.backoff(job)), token);
    throw new DelayedError();
  }

  private keys(bucket: string) {
    return {
      leases: this.queue.toKey(`fair:leases:${bucket}`),
      nextStart: this.queue.toKey(`fair:next-start:${bucket}`),
      reserved: this.queue.toKey(`fair:reserved:${bucket}`),
    };
  }

  /** Holds the slot while the job runs: extended every third of the lease, removed when it ends. */
  private lease(key: string, id: string): FairLease {
    const timer = setInterval(() => {
      run(this.queue, 'acmeFairExtend', [key, id, this.leaseMs]).catch((error: Error) =>
        this.logger.warn(`Queue "${this.queue.name}": could not extend the fairness lease of job ${id}: ${error.message}`),
      );
    }, this.leaseMs / 3);
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        try {
          await run(this.queue, 'acmeFairRelease', [key, id]);
        } catch (error) {
          this.logger.warn(
            `Queue "${this.queue.name}": job ${id} ended but its slot could not be freed (it frees when the lease expires): ${(error as Error).message}`,
          );
        }
      },
    };
  }

  /**
   * How long a job waits for a slot of its full workspace: doubling with each time it found the
   * slots taken (starts minus attempts), from 20 ms up to 1 s, with jitter so deferred jobs spread out.
   */
  private backoff(job: Job): number {
    const deferrals = Math.max((job.attemptsStarted ?? 1) - (job.attemptsMade ?? 0) - 1, 0);
    const ceiling = Math.min(20 * 2 ** Math.min(deferrals, 6), 1000);
    return Math.ceil(ceiling / 2 + (Math.random() * ceiling) / 2);
  }
}
