import type { TestProject } from 'vitest/node';
import { errorMessage } from './testing.errors';
import { redactUrl } from './connection-url';
import { PROVIDED_URL_KEYS } from './provided-keys';
import type { StartedService, TestServer } from './service.types';
import { startPostgres, type StartPostgresOptions } from './start-postgres';
import { startRedis, type StartRedisOptions } from './start-redis';
import { startRedisCluster, type StartRedisClusterOptions } from './start-redis-cluster';
import { startTimescale, type StartTimescaleOptions } from './start-timescale';

declare module 'vitest' {
  interface ProvidedContext {
    /** URL of the PostgreSQL server `setupTestServers` started (read it with `createTestDatabase()`). */
    acmeTestingPostgresUrl?: string;
    /** URL of the TimescaleDB server `setupTestServers` started. */
    acmeTestingTimescaleUrl?: string;
    /** URL of the Redis server `setupTestServers` started. */
    acmeTestingRedisUrl?: string;
    /** Nodes of the Redis Cluster `setupTestServers` started, `host:port,...` (read it with `createRedisClusterNamespace()`). */
    acmeTestingRedisClusterNodes?: string;
  }
}

/** Which servers to start for the run; `true` uses the defaults of `startPostgres` etc. */
export interface TestServersOptions {
  postgres?: boolean | StartPostgresOptions;
  timescale?: boolean | StartTimescaleOptions;
  redis?: boolean | StartRedisOptions;
  /** A Redis Cluster (three masters by default), for tests that run on both topologies. */
  redisCluster?: boolean | StartRedisClusterOptions;
  /**
   * Receives one line per server (name, source, URL without password, start time).
   * @default console.log
   */
  log?: (line: string) => void;
}

/** The part of vitest's `TestProject` a global setup uses. */
export type ProvidingProject = Pick<TestProject, 'provide'>;

/** A vitest globalSetup function: starts the servers, returns the teardown that stops them. */
export type TestServersGlobalSetup = (project: ProvidingProject) => Promise<() => Promise<void>>;

/** Environment variable restricting which servers start (comma list, e.g. `postgres,redis`). */
const TEST_SERVERS_ENV = 'ACME_TEST_SERVERS';

/**
 * Builds a vitest globalSetup that starts each requested server once for the whole run, in
 * parallel, and hands their URLs to every test file (`createTestDatabase()`,
 * `createRedisNamespace()` and `getTestServerUrl()` read them). `ACME_TEST_SERVERS` may narrow
 * the list. If one server fails to start, the others are stopped and the run fails with the
 * error that says what to install.
 *
 * @example
 * // vitest.global-setup.ts
 * import { setupTestServers } from '@acme/nest-testing/vitest';
 * export default setupTestServers({ postgres: true, timescale: true, redis: true });
 */
export function setupTestServers(options: TestServersOptions): TestServersGlobalSetup {
  return async (project) => {
    const log = options.log ?? ((line: string) => console.log(line));
    const servers = selectServers(options, log);
    const results = await Promise.allSettled(servers.map(([server, startServer]) => start(server, startServer, log)));
    const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure) {
      await stopAll(started, log);
      throw failure.reason;
    }
    for (const { server, service } of started) project.provide(PROVIDED_URL_KEYS[server], service.url);
    return () => stopAll(started, log);
  };
}

type Requested = readonly [TestServer, () => Promise<StartedService>];

function selectServers(options: TestServersOptions, log: (line: string) => void): Requested[] {
  const starters: Record<TestServer, (() => Promise<StartedService>) | undefined> = {
    postgres: options.postgres ? () => startPostgres(optionsOf(options.postgres)) : undefined,
    timescale: options.timescale ? () => startTimescale(optionsOf(options.timescale)) : undefined,
    redis: options.redis ? () => startRedis(optionsOf(options.redis)) : undefined,
    redisCluster: options.redisCluster ? () => startRedisCluster(optionsOf(options.redisCluster)) : undefined,
  };
  const known = Object.keys(starters) as TestServer[];
  const only = process.env[TEST_SERVERS_ENV]?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of only ?? []) {
    if (!known.includes(name as TestServer)) {
      log(`[@acme/nest-testing] ${TEST_SERVERS_ENV} names an unknown server "${name}" (known: ${known.join(', ')})`);
    }
  }
  return known.flatMap((server): Requested[] => {
    const startServer = starters[server];
    if (!startServer || (only && only.length > 0 && !only.includes(server))) return [];
    return [[server, startServer]];
  });
}

function optionsOf<T extends object>(value: boolean | T | undefined): T | undefined {
  return typeof value === 'object' ? value : undefined;
}

async function start(server: TestServer, startServer: () => Promise<StartedService>, log: (line: string) => void) {
  const began = performance.now();
  const service = await startServer();
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  // A cluster's address is its node list (host:port,...), with nothing to redact.
  const address = server === 'redisCluster' ? service.url : redactUrl(service.url);
  log(`[@acme/nest-testing] ${server}: ${service.source} ${address} (${seconds} s)`);
  return { server, service };
}

async function stopAll(started: readonly { server: TestServer; service: StartedService }[], log: (line: string) => void) {
  const results = await Promise.allSettled(started.map(({ service }) => service.stop()));
  results.forEach((result, index) => {
    if (result.status === 'rejected') {
      log(`[@acme/nest-testing] ${started[index]?.server} did not stop cleanly: ${errorMessage(result.reason)}`);
    }
  });
}
export { describeTenantIsolation, type IsolationResponse, type IsolationRoute, type IsolationTarget, type TenantIsolationOptions } from './tenant-isolation';
export { describeBuiltDist, DistMissingError, REQUIRE_DIST_ENV, type DescribeBuiltDistOptions } from './describe-built-dist';
