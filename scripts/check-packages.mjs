#!/usr/bin/env node
// Publishing checks for every package: publint --strict (package.json, exports, files) and
// attw --pack (types resolve for ESM and CJS consumers under node10, node16 and bundler).
// Each package must be built first; any problem fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(root, 'packages');
const only = process.argv.slice(2);
const failures = [];
// The tools are devDependencies of the root: reachable whether or not pnpm started this script.
const env = { ...process.env, PATH: `${join(root, 'node_modules/.bin')}${delimiter}${process.env.PATH}` };

for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name);
  if (!existsSync(join(dir, 'package.json')) || (only.length && !only.includes(name))) continue;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (manifest.private) continue;
  if (!existsSync(join(dir, 'dist'))) {
    failures.push(`${manifest.name}: not built (run pnpm build first)`);
    continue;
  }
  for (const [tool, args] of [
    ['publint', ['--strict', '.']],
    ['attw', ['--pack', '.', '--format', 'table-flipped']],
  ]) {
    console.log(`\n> ${manifest.name}: ${tool} ${args.join(' ')}`);
    const run = spawnSync(tool, args, { cwd: dir, stdio: 'inherit', env });
    if (run.status !== 0) failures.push(`${manifest.name}: ${tool} failed${run.error ? ` (${run.error.message})` : ''}`);
  }
}

if (failures.length) {
  console.error(`\nPackage checks failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
console.log('\nAll packages pass publint --strict and attw --pack.');
