export { startPostgres, type StartPostgresOptions } from './start-postgres';
export { startTimescale, type StartTimescaleOptions } from './start-timescale';
export { startRedis, type StartRedisOptions } from './start-redis';
export {
  parseRedisClusterNodes,
  startRedisCluster,
  type RedisClusterNode,
  type StartedRedisCluster,
  type StartRedisClusterOptions,
} from './start-redis-cluster';
export type { RedisPersistence } from './redis-server-process';
export type { ServiceSource, ServiceStrategy, StartedService, StartServiceOptions, TestServer } from './service.types';
export { detectContainerRuntime, type ContainerRuntimeStatus } from './container-runtime';
export { createTestDatabase, type CreateTestDatabaseOptions, type TestDatabase } from './create-test-database';
export {
  createRedisClusterNamespace,
  createRedisNamespace,
  type RedisClusterNamespace,
  type RedisClusterNamespaceOptions,
  type RedisNamespace,
  type RedisNamespaceOptions,
} from './redis-namespace';
export { getTestServerUrl } from './test-server-url';
export { freePort } from './free-port';
export { PartitionProxy } from './partition-proxy';
export {
  DependencyUnavailableError,
  PortUnavailableError,
  ServerStartError,
  ServiceUnavailableError,
  TestingError,
  TestingOptionsError,
  TestServerUrlMissingError,
  type StrategyAttempt,
} from './testing.errors';
export {
  HTTP_ADAPTERS,
  bearer,
  claimsFromBearer,
  startHttpApp,
  type HttpAdapterName,
  type HttpTestApp,
  type StartHttpAppOptions,
  type TestResponse,
} from './start-http-app';
