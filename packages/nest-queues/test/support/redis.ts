import { createRedisClusterNamespace, createRedisNamespace } from '@acme/nest-testing';
import type { QueuesModuleOptions } from '@acme/nest-queues';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Cluster } from 'ioredis';

/**
 * The Redis these tests run on: `'cluster'` when ACME_TEST_REDIS_TOPOLOGY=cluster (the
 * `nest-queues:cluster` project, see vitest.cluster.config.ts), else a single server.
 */
export const REDIS_TOPOLOGY: 'single' | 'cluster' = process.env.ACME_TEST_REDIS_TOPOLOGY === 'cluster' ? 'cluster' : 'single';

export interface TestRedis {
  readonly topology: 'single' | 'cluster';
  /** The server's URL, or the cluster's nodes (`host:port,...`). */
  url: string;
  /** BullMQ prefix of this test file's own: files share one Redis server and run in parallel. */
  prefix: string;
  /** QueuesModule options on this namespace (quiet, short timeouts); `overrides` win. */
  options(overrides?: Partial<QueuesModuleOptions>): QueuesModuleOptions;
  /** A raw BullMQ queue handle in this namespace, closed by `close()`. */
  queue(name: string): Queue;
  close(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const queues: Queue[] = [];
  const clusters: Cluster[] = [];
  let url: string;
  let prefix: string;
  let connection: () => ConnectionOptions;
  if (REDIS_TOPOLOGY === 'cluster') {
    // A hash-tagged prefix ({queues_...}): every key of every queue of this file in one slot.
    const namespace = await createRedisClusterNamespace({ prefix: 'queues' });
    url = namespace.nodes.map((node) => `${node.host}:${node.port}`).join(',');
    prefix = namespace.prefix;
    connection = () => {
      const cluster = new Cluster([...namespace.nodes], { redisOptions: { maxRetriesPerRequest: null } });
      clusters.push(cluster);
      return cluster as unknown as ConnectionOptions;
    };
  } else {
    ({ url, prefix } = await createRedisNamespace({ prefix: 'queues' }));
    connection = () => ({ url });
  }
  return {
    topology: REDIS_TOPOLOGY,
    url,
    prefix,
    options: (overrides = {}) => ({ connection: connection(), prefix, metrics: false, startupTimeoutMs: 5000, shutdownTimeoutMs: 2000, ...overrides }),
    queue(name) {
      const queue = new Queue(name, { connection: connection(), prefix });
      queues.push(queue);
      return queue;
    },
    async close() {
      await Promise.allSettled(queues.map((queue) => queue.close()));
      // Cluster clients given as `connection` are the caller's to close (the apps are closed by now).
      for (const cluster of clusters) cluster.disconnect();
    },
  };
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
