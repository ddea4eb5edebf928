import { defineSuiteProject } from '../../vitest.shared.ts';

export default defineSuiteProject('nest-cache');
