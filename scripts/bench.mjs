#!/usr/bin/env node
// `pnpm bench [name ...] [--flag ...]`: runs bench/<name>.bench.ts (all of them without a name) against the
// built packages, each in its own process. Every benchmark ends with one line
// `BENCH <name> ours=<n> baseline=<n> ratio=<ours/baseline> better=higher|lower [min=<r> max=<r>] unit=<unit>`
// (bench/lib/measure.ts `report`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Root devDependencies (vitest, tsx, and Node 22 from the node@22 package) come first on PATH,
// whether or not pnpm started this script.
const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}` };
const benchDir = join(root, 'bench');
const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.replace(/\.bench\.ts$/, ''))
  .sort();
// `--flags` go to every benchmark run (`pnpm bench http --soak`); the other arguments name benchmarks.
const flags = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length) {
  console.error(`Unknown benchmark: ${unknown.join(', ')}. Available: ${available.join(', ')}.`);
  process.exit(2);
}

// Benchmarks measure the built packages users install: build the ones bench/ depends on when
// their dist is missing or older than any of their sources, so a stale build is never measured.
const { dependencies } = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
const stale = Object.entries(dependencies)
  .filter(([, range]) => range.startsWith('workspace:'))
  .map(([pkg]) => pkg)
  .filter((pkg) => {
    const dir = realpathSync(join(benchDir, 'node_modules', pkg));
    if (!existsSync(join(dir, 'tsup.config.ts'))) return false; // the example is rebuilt by its bench
    const built = existsSync(join(dir, 'dist')) ? oldest(join(dir, 'dist')) : 0;
    return built === 0 || newest([join(dir, 'src'), join(dir, 'package.json'), join(dir, 'tsup.config.ts')]) > built;
  });
if (stale.length) {
  console.log(`Building ${stale.join(', ')} first (dist missing or older than src)...`);
  const build = spawnSync('pnpm', [...stale.flatMap((pkg) => ['--filter', pkg]), 'build'], { cwd: root, stdio: 'inherit', env });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let failed = false;
for (const name of wanted.length ? wanted : available) {
  console.log(`\n# ${name}`);
  const run = spawnSync('tsx', [join(benchDir, `${name}.bench.ts`), ...flags], { cwd: benchDir, stdio: 'inherit', env });
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);

/** Latest modification time (ms) of the files under `paths` (files or folders). */
function newest(paths) {
  let latest = 0;
  for (const path of paths) for (const file of filesUnder(path)) latest = Math.max(latest, statSync(file).mtimeMs);
  return latest;
}

/** Earliest modification time (ms) of the files under `dir`; 0 when it holds none. */
function oldest(dir) {
  const times = [...filesUnder(dir)].map((file) => statSync(file).mtimeMs);
  return times.length ? Math.min(...times) : 0;
}

function* filesUnder(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const entry of readdirSync(path, { withFileTypes: true })) yield* filesUnder(join(path, entry.name));
}
