// A vitest reporter for scripts/test.mjs: writes what the run really did to the JSON file named
// by ACME_TEST_SUMMARY when vitest exits: the projects vitest selected, how many test files it
// was about to run, each file's tests by final state, files that failed to load, and the errors
// that stopped the run before any test.
import { writeFileSync } from 'node:fs';

const errorText = (error) => {
  const head = [error?.name, error?.message].filter(Boolean).join(': ') || String(error);
  return typeof error?.stack === 'string' && error.stack.includes(head) ? error.stack : head;
};

export default class TestRunSummary {
  summary = { projects: [], files: 0, modules: [], unhandledErrors: [], startErrors: [] };

  onInit(vitest) {
    const file = process.env.ACME_TEST_SUMMARY;
    if (!file) return;
    this.summary.projects = vitest.projects.map((project) => ({ name: project.name, root: project.config.root }));
    // A globalSetup that throws (a test server that cannot start) never reaches the reporters:
    // vitest ends the run with no errors and then prints the error itself. Keep what it prints.
    const printError = vitest.logger.printError.bind(vitest.logger);
    vitest.logger.printError = (error, options) => {
      if (options?.type === 'Unhandled Error') this.summary.startErrors.push(errorText(error));
      return printError(error, options);
    };
    process.once('exit', () => writeFileSync(file, JSON.stringify(this.summary, null, 2)));
  }

  onTestRunStart(specifications) {
    this.summary.files = specifications.length;
  }

  onTestRunEnd(testModules, unhandledErrors) {
    this.summary.modules = testModules.map((module) => {
      const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
      for (const test of module.children.allTests()) counts[test.result().state]++;
      return { project: module.project.name, file: module.moduleId, ...counts, errors: module.errors().map(errorText) };
    });
    this.summary.unhandledErrors = unhandledErrors.map(errorText);
  }
}
