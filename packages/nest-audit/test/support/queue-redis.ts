import { createRedisClusterNamespace, createRedisNamespace } from '@acme/nest-testing';
import type { ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';

/**
 * The Redis the queue tests run on: a three-master cluster when ACME_TEST_REDIS_TOPOLOGY=cluster
 * (the `nest-audit:cluster` project, see vitest.cluster.config.ts), else a single server.
 */
export const REDIS_TOPOLOGY: 'single' | 'cluster' = process.env.ACME_TEST_REDIS_TOPOLOGY === 'cluster' ? 'cluster' : 'single';

/** A key namespace of one test on the topology's Redis. */
export interface QueueRedis {
  /** BullMQ prefix of its own; hash-tagged on the cluster. */
  readonly prefix: string;
  /** A connection for a module or an inspecting queue: `{ url }`, or an ioredis `Cluster` that `close()` ends. */
  connection(): ConnectionOptions;
  close(): void;
}

export async function queueRedis(): Promise<QueueRedis> {
  if (REDIS_TOPOLOGY === 'single') {
    const { url, prefix } = await createRedisNamespace();
    return { prefix, connection: () => ({ url }), close: () => undefined };
  }
  const { nodes, prefix } = await createRedisClusterNamespace({ prefix: 'audit' });
  const clusters: Cluster[] = [];
  return {
    prefix,
    connection: () => {
      const cluster = new Cluster([...nodes], { redisOptions: { maxRetriesPerRequest: null } });
      clusters.push(cluster);
      return cluster as unknown as ConnectionOptions;
    },
    close: () => clusters.forEach((cluster) => cluster.disconnect()),
  };
}
