#!/usr/bin/env node
// Runs the tenancy suite on the LOWEST drizzle-orm of the peer range. The normal test run covers
// the highest: the workspace's devDependency, which must be the newest release inside the range.
// The lowest is installed with npm (no lockfile, no peers: pg resolves to the workspace's copy)
// under node_modules/.drizzle-range/<version>/ of this package, kept between runs, and every
// `drizzle-orm` import of the suite is aliased to it (see vitest.config.ts).
//
//   node packages/nest-tenancy/scripts/test-drizzle-range.mjs [arguments for scripts/test.mjs]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(packageDir, '../..');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const fail = (message) => {
  console.error(`test:drizzle-range: ${message}`);
  process.exit(1);
};

const range = readJson(join(packageDir, 'package.json')).peerDependencies['drizzle-orm'];
const bounds = /^>=(\d+\.\d+\.\d+) <(\d+\.\d+\.\d+)$/.exec(range);
if (!bounds) fail(`the drizzle-orm peer range "${range}" is not ">=LOW <HIGH"; update this script with it.`);
const [, lowest, below] = bounds;
const order = (version) =>
  version
    .split(/[.-]/)
    .slice(0, 3)
    .map(Number)
    .reduce((sum, part) => sum * 1000 + part, 0);

const highest = readJson(join(packageDir, 'node_modules/drizzle-orm/package.json')).version;
if (order(highest) < order(lowest) || order(highest) >= order(below)) {
  fail(`the workspace's drizzle-orm ${highest} is outside the peer range ${range}: the normal run would not test the highest.`);
}

const prefix = join(packageDir, 'node_modules/.drizzle-range', lowest);
const drizzleDir = join(prefix, 'node_modules/drizzle-orm');
const installed = existsSync(join(drizzleDir, 'package.json')) && readJson(join(drizzleDir, 'package.json')).version === lowest;
if (!installed) {
  console.log(`test:drizzle-range: installing drizzle-orm@${lowest} into ${prefix}`);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  const npm = spawnSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-package-lock',
      '--legacy-peer-deps',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      `drizzle-orm@${lowest}`,
    ],
    { stdio: 'inherit', shell: process.platform === 'win32' },
  );
  if (npm.status !== 0) fail(`npm could not install drizzle-orm@${lowest} (exit ${npm.status ?? npm.signal}).`);
}

console.log(`test:drizzle-range: the tenancy suite on drizzle-orm ${lowest} (the normal run covers ${highest})`);
const run = spawnSync(process.execPath, [join(root, 'scripts/test.mjs'), '--project', 'nest-tenancy', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, ACME_DRIZZLE_ORM_DIR: drizzleDir, ACME_EXPECT_DRIZZLE_VERSION: lowest },
});
process.exit(run.status ?? 1);
