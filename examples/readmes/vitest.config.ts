import { defineSuiteProject } from '../../vitest.shared.ts';

export default defineSuiteProject('readmes', {
  // One TypeScript program over every README block: about 20 s on a 2-core machine.
  test: { testTimeout: 120_000, hookTimeout: 180_000 },
});
