import { readRedisDurability, RedisDurabilityError, withTimeout, type RedisDurability, type RedisInfoClient } from '@acme/nest-context';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { Queue } from 'bullmq';
import { QueueMetrics } from './queue-metrics';
import { closeQueue } from './close-within';
import { QueueRegistry } from './queue-registry';
import { RESOLVED_QUEUES_OPTIONS } from './queues.module-definition';
import { RedisUnreachableError } from './queues.errors';
import type { ResolvedQueuesOptions } from './resolve-queues-options';

/** A Redis client as BullMQ hands it out: a cluster lists its nodes (ioredis `Cluster.nodes`). */
export interface PostureClient extends RedisInfoClient {
  isCluster?: boolean;
  nodes?(role: 'master'): PostureClient[];
  options?: { host?: string; port?: number };
}

const FSYNC_STRENGTH = ['no', 'everysec', 'always'] as const;

/**
 * Checks at startup, in producers and workers alike, that the queues' Redis keeps acknowledged
 * jobs: AOF on and `maxmemory-policy noeviction` (on every master of a cluster). Refuses to start
 * otherwise (`RedisDurabilityError`, `CONTEXT_REDIS_NOT_DURABLE`), or with `allowVolatileRedis` warns
 * once and sets the `redis_volatile` gauge to 1. Runs before any worker starts.
 */
@Injectable()
export class RedisPosture implements OnModuleInit {
  private readonly logger = new Logger('QueuesModule');
  /** The reading taken at startup. */
  durability?: RedisDurability;

  constructor(
    @Inject(RESOLVED_QUEUES_OPTIONS) private readonly options: ResolvedQueuesOptions,
    @Inject(QueueRegistry) private readonly registry: QueueRegistry,
    @Inject(QueueMetrics) private readonly metrics: QueueMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    const durability = await this.read();
    this.durability = durability;
    this.metrics.redisVolatile(!durability.durable);
    if (durability.durable) return;
    if (!this.options.allowVolatileRedis) throw new RedisDurabilityError('QueuesModule', 'allowVolatileRedis', durability);
    this.logger.warn(
      `Queues run on a volatile Redis, accepted by option "allowVolatileRedis": acknowledged jobs can be lost. ${durability.problems.join(' ')}`,
    );
  }

  /** Reads through a BullMQ queue handle, so every connection shape BullMQ takes works here too. */
  private async read(): Promise<RedisDurability> {
    const timeoutMs = this.options.startupTimeoutMs;
    const queue = new Queue('acme-redis-posture', this.registry.connection);
    queue.on('error', () => undefined); // reconnect attempts: the deadline below reports them
    const reading = (async () => {
      await queue.waitUntilReady();
      return readPosture((await queue.getBackend().client) as unknown as PostureClient);
    })();
    try {
      return await withTimeout(
        reading,
        timeoutMs,
        () =>
          new RedisUnreachableError(
            `Redis did not answer within ${timeoutMs} ms: check QueuesModule option "connection" (is Redis up and reachable?), or raise "startupTimeoutMs".`,
          ),
      );
    } catch (error) {
      // Unreadable counts as not durable (fail closed); nest-context words the problem.
      return readRedisDurability({ info: () => Promise.reject(error) });
    } finally {
      await closeQueue(queue);
    }
  }
}

/** The durability of a Redis server, or of every master of a Redis Cluster, merged. */
export async function readPosture(client: PostureClient): Promise<RedisDurability> {
  if (!client.isCluster || typeof client.nodes !== 'function') return readRedisDurability(client);
  const masters = client.nodes('master');
  if (masters.length === 0) {
    const unknown = new RedisUnreachableError('the cluster client knows no master node yet: check that the cluster is up and its slots are assigned');
    return readRedisDurability({ info: () => Promise.reject(unknown) });
  }
  const readings = await Promise.all(masters.map((node) => readRedisDurability(node)));
  const all = <T>(pick: (reading: RedisDurability) => T): T[] => readings.map(pick);
  const aofs = all((reading) => reading.aof);
  const policies = all((reading) => reading.maxmemoryPolicy);
  const fsyncs = all((reading) => reading.appendfsync);
  return {
    aof: aofs.includes(false) ? false : aofs.includes(null) ? null : true,
    // The weakest setting of any master is the guarantee of the cluster.
    appendfsync: fsyncs.includes(null) ? null : FSYNC_STRENGTH[Math.min(...fsyncs.map((mode) => FSYNC_STRENGTH.indexOf(mode!)))]!,
    maxmemoryPolicy: policies.find((policy) => policy !== 'noeviction') ?? policies[0] ?? null,
    durable: readings.every((reading) => reading.durable),
    problems: readings.flatMap((reading, i) => reading.problems.map((problem) => `${nodeName(masters[i]!)}: ${problem}`)),
  };
}

function nodeName(node: PostureClient): string {
  return `master ${node.options?.host ?? '?'}:${node.options?.port ?? '?'}`;
}
