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
