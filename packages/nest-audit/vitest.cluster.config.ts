import { defineSuiteProject } from '../../vitest.shared.ts';

/**
 * The queue delivery tests again, on a Redis Cluster of three masters (the root global setup
 * starts it): test/support/queue-redis.ts connects through an ioredis Cluster with a hash-tagged prefix.
 */
const project = defineSuiteProject('nest-audit:cluster', { test: { env: { ACME_TEST_REDIS_TOPOLOGY: 'cluster' } } });
// Only these files (replacing the shared include list), and in them only the tests of the queue,
// named after the topology; the others do not depend on the queue's Redis and run once.
project.test!.include = ['test/audit-delivery.spec.ts'];
project.test!.testNamePattern = /\(cluster Redis\)$/;
export default project;
