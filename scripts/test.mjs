#!/usr/bin/env node
// Runs the vitest projects once and fails loudly when the run proves nothing. A test counts as
// run only when it passed or failed: skipped and todo tests prove nothing. The run fails when
// no test ran, or (unfiltered, or filtered by --project only) when any selected project ran
// none: vitest 5 silently ignores a misplaced workspace file, so a green run with zero tests is
// treated as a failure.
//
//   node scripts/test.mjs [--require-dist] [vitest arguments...]
//
// --require-dist: the built dist of every package must be there (`pnpm test:all` builds first):
// the dist canary tests fail instead of skipping when it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const requireDist = args.includes('--require-dist');
const vitestArgs = args.filter((arg) => arg !== '--require-dist');
// One summary file per run: two runs side by side never read each other's results.
const summaryFile = join(root, '.test-results', `summary-${process.pid}.json`);
// Root devDependencies (vitest, tsx, and Node 22 from the node@22 package) come first on PATH,
// whether or not pnpm started this script.
const env = {
  ...process.env,
  PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}`,
  ACME_TEST_SUMMARY: summaryFile,
  ...(requireDist ? { ACME_REQUIRE_DIST: '1' } : {}),
};

// vitest caches transforms on disk and has served stale output after a tsconfig change.
// Another vitest running at the same time may be writing to it: a cache that cannot be removed
// is reported, not fatal.
for (const cache of ['node_modules/.vitest-cache', 'node_modules/.vite', 'node_modules/.vitest']) {
  try {
    rmSync(join(root, cache), { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.warn(`Could not clear ${cache} (${error.code ?? error.message}); a vitest running at the same time may be using it.`);
  }
}
mkdirSync(dirname(summaryFile), { recursive: true });
rmSync(summaryFile, { force: true });

const vitest = spawnSync('vitest', ['run', '--reporter=default', `--reporter=${join(root, 'scripts/test-run-summary.mjs')}`, ...vitestArgs], {
  cwd: root,
  stdio: 'inherit',
  env,
});
if (vitest.error) {
  console.error(`\nCould not start vitest: ${vitest.error.message}. Run \`pnpm install\` first.`);
  process.exit(1);
}
if (!existsSync(summaryFile)) {
  // vitest stopped before its reporters ran (a broken config, a crash): its own error is above.
  console.error(`\nvitest exited (code ${vitest.status ?? vitest.signal}) before running any test; its error is above.`);
  process.exit(vitest.status || 1);
}
const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
rmSync(summaryFile, { force: true });

// Options that choose projects or the configuration, not tests: with only these, every selected
// project must still run tests. Other arguments (a file, -t) may leave some projects without any.
const selecting = ['--project', '--config', '-c', '--root', '-r'];
const isSelecting = (arg, i) => selecting.some((option) => arg === option || arg.startsWith(`${option}=`) || vitestArgs[i - 1] === option);
const narrowed = vitestArgs.some((arg, i) => !isSelecting(arg, i));
// Unfiltered on the repository's own configuration, every project of vitest.workspace.ts must load.
const wholeWorkspace = vitestArgs.length === 0;

// The projects vitest.workspace.ts lists (one folder each), read as text so this runs on any Node.
const patterns = [...readFileSync(join(root, 'vitest.workspace.ts'), 'utf8').matchAll(/'([^']+\/vitest\.config\.ts)'/g)].map((m) => m[1]);
const listed = patterns.flatMap((pattern) => {
  const [parent, star, file] = pattern.split('/');
  if (star !== '*') return existsSync(join(root, pattern)) ? [dirname(pattern)] : [];
  if (!existsSync(join(root, parent))) return [];
  return readdirSync(join(root, parent))
    .filter((dir) => existsSync(join(root, parent, dir, file)))
    .map((dir) => `${parent}/${dir}`);
});
const selected = summary.projects.map((project) => ({ ...project, dir: relative(root, project.root) || '.' }));

const totals = { passed: 0, failed: 0, skipped: 0 };
const perProject = new Map(selected.map((project) => [project.dir, { run: 0, skipped: 0 }]));
const brokenFiles = [];
for (const module of summary.modules) {
  const project = selected.find((p) => p.name === module.project);
  const counts = perProject.get(project?.dir ?? module.project) ?? { run: 0, skipped: 0 };
  counts.run += module.passed + module.failed;
  counts.skipped += module.skipped + module.pending;
  perProject.set(project?.dir ?? module.project, counts);
  totals.passed += module.passed;
  totals.failed += module.failed;
  totals.skipped += module.skipped + module.pending;
  if (module.errors.length > 0) brokenFiles.push(relative(root, module.file));
}
const run = totals.passed + totals.failed;
const collected = run + totals.skipped;

console.log('\nTests run per project (skipped ones not counted):');
for (const [dir, counts] of perProject) {
  console.log(`  ${dir.padEnd(32)} ${String(counts.run).padStart(5)}${counts.skipped ? `   (${counts.skipped} skipped)` : ''}`);
}
console.log(
  `${run} run: ${totals.passed} passed, ${totals.failed} failed; ${totals.skipped} skipped` +
    (brokenFiles.length ? `; ${brokenFiles.length} file(s) failed to load: ${brokenFiles.join(', ')}` : ''),
);

const problems = [];
if (wholeWorkspace) {
  const missing = listed.filter((dir) => !perProject.has(dir));
  if (missing.length) problems.push(`vitest did not load these projects of vitest.workspace.ts: ${missing.join(', ')}.`);
}
if (!narrowed && run > 0) {
  const empty = [...perProject].filter(([, counts]) => counts.run === 0).map(([dir]) => dir);
  if (empty.length) problems.push(`These projects ran no test (skipped ones do not count): ${empty.join(', ')}.`);
}
for (const problem of problems) console.error(problem);

if (run === 0) {
  const errors = [...summary.startErrors, ...summary.unhandledErrors];
  if (errors.length > 0) {
    // A globalSetup that threw (a test server that could not start): no test could run. Its
    // error goes last, so the end of the output says what to fix.
    const withoutVitestFrames = (error) =>
      error
        .split('\n')
        .filter((line) => !/^\s+at .*node_modules/.test(line))
        .join('\n');
    console.error(`\nNo test ran: vitest stopped before running the ${summary.files} test file(s) it found, with this error:\n`);
    console.error(errors.map(withoutVitestFrames).join('\n\n'));
  } else if (summary.files > 0 && summary.modules.length === 0) {
    console.error(`\nNo test ran: vitest stopped before running the ${summary.files} test file(s) it found (see its output above).`);
  } else if (brokenFiles.length > 0) {
    console.error(`\nNo test ran: every test file failed to load (errors above).`);
  } else if (collected > 0) {
    console.error(`\nNo test ran: all ${collected} collected tests were skipped.`);
  } else if (narrowed) {
    console.error('\nNo test ran: no test file matches the given filters.');
  } else {
    console.error('\nNo test ran: check that vitest.config.ts passes vitest.workspace.ts to test.projects.');
  }
  process.exit(1);
}
const ok = vitest.status === 0 && totals.failed === 0 && brokenFiles.length === 0 && summary.unhandledErrors.length === 0;
process.exit(ok && problems.length === 0 ? 0 : 1);
