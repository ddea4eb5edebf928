/**
 * Real servers for the whole monorepo run, started once and shared by every project:
 * PostgreSQL, TimescaleDB, Redis and a Redis Cluster (three masters), each from DATABASE_URL /
 * TIMESCALE_URL / REDIS_URL / REDIS_CLUSTER_NODES when set, else testcontainers, else embedded.
 * Tests reach them through createTestDatabase(), createRedisNamespace() and
 * createRedisClusterNamespace() from @acme/nest-testing. ACME_TEST_SERVERS=postgres,redis narrows the set.
 */
import { setupTestServers } from './packages/nest-testing/src/vitest.ts';

export default setupTestServers({ postgres: true, timescale: true, redis: true, redisCluster: true });
