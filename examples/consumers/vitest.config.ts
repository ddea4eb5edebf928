import { defineSuiteProject } from '../../vitest.shared.ts';

export default defineSuiteProject('consumers', {
  // Packs the packages, installs two apps from the registry and the tarballs, compiles and boots them.
  test: { testTimeout: 300_000, hookTimeout: 600_000 },
});
