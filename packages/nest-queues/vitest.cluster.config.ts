import { defineSuiteProject } from '../../vitest.shared.ts';

/**
 * The delivery tests again, on a Redis Cluster of three masters (the root global setup starts it):
 * test/support/redis.ts connects through an ioredis Cluster with a hash-tagged prefix.
 */
const project = defineSuiteProject('nest-queues:cluster', { test: { env: { ACME_TEST_REDIS_TOPOLOGY: 'cluster' } } });
// Only these files: replaces the shared include list rather than adding to it.
project.test!.include = ['test/round-trip.spec.ts', 'test/dead-letters.spec.ts', 'test/crons.spec.ts'];
export default project;
