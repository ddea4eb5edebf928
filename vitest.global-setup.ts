/**
 * Real servers for the whole monorepo run, started once and shared by every project:
 * PostgreSQL, TimescaleDB and Redis, each from DATABASE_URL / TIMESCALE_URL / REDIS_URL when
 * set, else testcontainers, else embedded. Tests reach them through createTestDatabase() and
 * createRedisNamespace() from @acme/nest-testing. ACME_TEST_SERVERS=postgres,redis narrows the set.
 */
import { setupTestServers } from './packages/nest-testing/src/vitest.ts';

export default setupTestServers({ postgres: true, timescale: true, redis: true });
