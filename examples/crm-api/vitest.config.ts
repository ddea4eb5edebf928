import { defineSuiteProject } from '../../vitest.shared.ts';

export default defineSuiteProject('crm-api', {
  // e2e files boot the whole app against real PostgreSQL and Redis: give them room.
  test: { testTimeout: 60_000, hookTimeout: 120_000 },
});
