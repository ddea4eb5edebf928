/**
 * Every vitest project in the repository. vitest 5 ignores this file on its own:
 * vitest.config.ts passes the list to `test.projects`, and scripts/test.mjs fails the
 * run when any project listed here ran zero tests.
 */
export default [
  'packages/*/vitest.config.ts',
  // The same package's delivery tests again, on a Redis Cluster (its name ends in ':cluster').
  'packages/*/vitest.cluster.config.ts',
  'examples/*/vitest.config.ts',
];
