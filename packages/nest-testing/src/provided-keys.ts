import type { TestServer } from './service.types';

/**
 * Keys under which `setupTestServers` provides each server's URL to vitest workers
 * (`project.provide` in the global setup, `inject` in tests).
 */
export const PROVIDED_URL_KEYS = {
  postgres: 'acmeTestingPostgresUrl',
  timescale: 'acmeTestingTimescaleUrl',
  redis: 'acmeTestingRedisUrl',
  redisCluster: 'acmeTestingRedisClusterNodes',
} as const satisfies Record<TestServer, string>;
