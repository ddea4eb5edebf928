import { parseRedisClusterNodes, type RedisClusterNode } from './start-redis-cluster';
import { uniqueName } from './unique-name';
import { getTestServerUrl } from './test-server-url';

/** Options of {@link createRedisNamespace}. */
export interface RedisNamespaceOptions {
  /** URL of the Redis server. Defaults to the URL `setupTestServers` provided, else `REDIS_URL`. */
  url?: string;
  /**
   * Start of the generated prefix.
   * @default 'test'
   */
  prefix?: string;
}

/** A key namespace of its own on the shared Redis server. */
export interface RedisNamespace {
  readonly url: string;
  /** Unique prefix without separator: BullMQ's `prefix` option. */
  readonly prefix: string;
  /** `prefix` plus `:`: ioredis' `keyPrefix` option. */
  readonly keyPrefix: string;
}

/**
 * A unique key prefix so that parallel test files share one Redis server without seeing each
 * other's keys: `new Redis(url, { keyPrefix })`, or `{ prefix }` for BullMQ queues and workers
 * (BullMQ rejects ioredis' keyPrefix). Keys are left behind; the server is thrown away at the
 * end of the run.
 *
 * @throws TestServerUrlMissingError when no server URL is known.
 */
export async function createRedisNamespace(options: RedisNamespaceOptions = {}): Promise<RedisNamespace> {
  const url = options.url ?? (await getTestServerUrl('redis'));
  const prefix = uniqueName(options.prefix ?? 'test');
  return { url, prefix, keyPrefix: `${prefix}:` };
}

/** Options of {@link createRedisClusterNamespace}. */
export interface RedisClusterNamespaceOptions {
  /**
   * The cluster's nodes (`host:port` each). Default: those `setupTestServers({ redisCluster: true })`
   * provided, else `REDIS_CLUSTER_NODES`.
   */
  nodes?: readonly string[];
  /**
   * Start of the generated hash tag.
   * @default 'test'
   */
  prefix?: string;
}

/** A key namespace of its own on the shared Redis Cluster, hash-tagged. */
export interface RedisClusterNamespace {
  /** The cluster's nodes: `new Cluster(nodes)` (ioredis). */
  readonly nodes: readonly RedisClusterNode[];
  /** Unique hash tag, braces included (`{test_...}`): BullMQ's `prefix`, every key of every queue in one slot. */
  readonly prefix: string;
  /** `prefix` plus `:`: ioredis' `keyPrefix` option (multi-key commands then stay in one slot). */
  readonly keyPrefix: string;
}

/**
 * {@link createRedisNamespace} for a Redis Cluster: a unique prefix that is a hash tag, so that
 * BullMQ (whose scripts touch several keys of a queue at once) and multi-key commands work on
 * the cluster, and parallel test files never see each other's keys.
 *
 * @throws TestServerUrlMissingError when no cluster is known.
 */
export async function createRedisClusterNamespace(options: RedisClusterNamespaceOptions = {}): Promise<RedisClusterNamespace> {
  const nodes = parseRedisClusterNodes(options.nodes?.join(',') ?? (await getTestServerUrl('redisCluster')));
  const prefix = `{${uniqueName(options.prefix ?? 'test')}}`;
  return { nodes, prefix, keyPrefix: `${prefix}:` };
}
