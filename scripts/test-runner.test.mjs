// Tests of scripts/test.mjs against small vitest configurations (scripts/fixtures/test-runner):
// what counts as run, when the run fails, and what it prints last. Run: pnpm test:scripts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the test runner on one fixture; stdout and stderr in one stream, in the order printed. */
function runFixture(name) {
  const config = `scripts/fixtures/test-runner/${name}/vitest.config.mjs`;
  const run = spawnSync('sh', ['-c', `"${process.execPath}" scripts/test.mjs --config ${config} 2>&1`], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 120_000,
  });
  return { status: run.status, output: run.stdout };
}

test('passes when every project runs tests, and counts skipped tests apart from run ones', () => {
  const { status, output } = runFixture('passing');
  assert.equal(status, 0, output);
  assert.match(output, /^2 run: 2 passed, 0 failed; 1 skipped$/m);
});

test('fails when a project only skipped tests: skipped tests are not run tests', () => {
  const { status, output } = runFixture('skipped-project');
  assert.equal(status, 1, output);
  assert.match(output, /^1 run: 1 passed, 0 failed; 2 skipped$/m);
  assert.match(output, /These projects ran no test \(skipped ones do not count\): scripts\/fixtures\/test-runner\/skipped-project\/b\./);
});

test('a failing globalSetup: its error is the last thing printed, with no hint about vitest.config.ts', () => {
  const { status, output } = runFixture('setup-fails');
  assert.equal(status, 1, output);
  assert.doesNotMatch(output, /check that vitest\.config\.ts/);
  const tail = output.trimEnd().split('\n').slice(-3).join('\n');
  assert.match(tail, /Error: Could not start redis for tests: redis-server not found/, `the output ends with:\n${tail}`);
  assert.match(tail, /global-setup\.mjs:2/);
});

test('no test collected at all: fails with the hint about vitest.config.ts', () => {
  const { status, output } = runFixture('no-tests');
  assert.equal(status, 1, output);
  assert.match(output.trimEnd(), /No test ran: check that vitest\.config\.ts passes vitest\.workspace\.ts to test\.projects\.$/);
});
