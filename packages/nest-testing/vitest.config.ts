import { defineSuiteProject } from '../../vitest.shared';

export default defineSuiteProject('nest-testing');
