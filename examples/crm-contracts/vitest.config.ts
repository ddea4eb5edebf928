import { defineSuiteProject } from '../../vitest.shared.ts';

export default defineSuiteProject('crm-contracts');
