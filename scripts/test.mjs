#!/usr/bin/env node
// Runs every vitest project once and fails loudly when the run proves nothing:
// vitest 5 silently ignores a misplaced workspace file, so a green run with zero tests,
// or a project that quietly ran none, is treated as a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Root devDependencies (vitest, tsx, and Node 22 from the node@22 package) come first on PATH,
// whether or not pnpm started this script.
const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}` };
const resultsFile = join(root, '.test-results/vitest.json');

// vitest caches transforms on disk and has served stale output after a tsconfig change.
for (const cache of ['node_modules/.vitest-cache', 'node_modules/.vite', 'node_modules/.vitest']) {
  rmSync(join(root, cache), { recursive: true, force: true });
}
rmSync(resultsFile, { force: true });

const vitest = spawnSync(
  'vitest',
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit', env },
);

if (!existsSync(resultsFile)) {
  console.error('\nvitest wrote no results: it did not run.');
  process.exit(vitest.status || 1);
}
const results = JSON.parse(readFileSync(resultsFile, 'utf8'));

// Which project each test file belongs to: the package or example folder it lives in. The
// patterns are read from vitest.workspace.ts as text, so this runs on any Node version.
const patterns = [...readFileSync(join(root, 'vitest.workspace.ts'), 'utf8').matchAll(/'([^']+\/vitest\.config\.ts)'/g)].map((m) => m[1]);
const expected = patterns.flatMap((pattern) => {
  const [parent, star, file] = pattern.split('/');
  if (star !== '*') return existsSync(join(root, pattern)) ? [dirname(pattern)] : [];
  if (!existsSync(join(root, parent))) return [];
  return readdirSync(join(root, parent))
    .filter((dir) => existsSync(join(root, parent, dir, file)))
    .map((dir) => `${parent}/${dir}`);
});
const filtered = process.argv.length > 2;
const perProject = new Map(expected.map((dir) => [dir, 0]));
for (const file of results.testResults) {
  const dir = expected.find((project) => file.name.startsWith(join(root, project) + '/'));
  if (dir) perProject.set(dir, perProject.get(dir) + file.assertionResults.length);
}

const passed = results.numPassedTests;
const failed = results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
const skipped = results.numPendingTests + results.numTodoTests;
const empty = [...perProject].filter(([, count]) => count === 0).map(([dir]) => dir);

console.log('\nTests per project:');
for (const [dir, count] of perProject) console.log(`  ${dir.padEnd(32)} ${count}`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);

if (results.numTotalTests === 0) {
  console.error('No test ran: check that vitest.config.ts passes vitest.workspace.ts to test.projects.');
  process.exit(1);
}
if (!filtered && empty.length > 0) {
  console.error(`These projects ran no test: ${empty.join(', ')}.`);
  process.exit(1);
}
process.exit(vitest.status === 0 && failed === 0 && results.success ? 0 : 1);
