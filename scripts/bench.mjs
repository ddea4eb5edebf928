#!/usr/bin/env node
// `pnpm bench [name ...]`: runs bench/<name>.bench.ts (all of them without a name) against the
// built packages, each in its own process. Every benchmark ends with one line
// `BENCH <name> ours=<n> baseline=<n> ratio=<ours/baseline> unit=<unit>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length) {
  console.error(`Unknown benchmark: ${unknown.join(', ')}. Available: ${available.join(', ')}.`);
  process.exit(2);
}

// Benchmarks measure the built packages users install: build the ones bench/ depends on if needed.
const { dependencies } = JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8'));
const unbuilt = Object.entries(dependencies)
  .filter(([pkg, range]) => range.startsWith('workspace:') && !existsSync(join(benchDir, 'node_modules', pkg, 'dist')))
  .map(([pkg]) => pkg);
if (unbuilt.length) {
  console.log(`Building ${unbuilt.join(', ')} first...`);
  const build = spawnSync('pnpm', ['--filter', 'acme-bench^...', 'build'], { cwd: root, stdio: 'inherit', env });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

let failed = false;
for (const name of wanted.length ? wanted : available) {
  console.log(`\n# ${name}`);
  const run = spawnSync('tsx', [join(benchDir, `${name}.bench.ts`)], { cwd: benchDir, stdio: 'inherit', env });
  failed ||= run.status !== 0;
}
process.exit(failed ? 1 : 0);
