#!/usr/bin/env node
// `pnpm demo` at the repository root: builds what the demo needs (the @acme packages the API and
// the demo import, when a build is missing or older than their sources; the API itself, always)
// and starts demo/demo.ts through tsx, which runs everything (the API and the worker from dist/).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..');
const { dependencies, devDependencies } = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));

/** The newest modification time of the files under `dir`. */
const newest = (dir) =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );

/** A package whose dist is missing, or older than a file of its src (a pull, an edit). */
const needsBuild = (name) => {
  const root = join(app, 'node_modules', name);
  const built = join(root, 'dist', 'index.js');
  return !existsSync(built) || (existsSync(join(root, 'src')) && newest(join(root, 'src')) > statSync(built).mtimeMs);
};
// devDependencies too: the demo itself starts its servers with @acme/nest-testing.
const unbuilt = Object.keys({ ...dependencies, ...devDependencies }).filter((name) => name.startsWith('@acme/') && needsBuild(name));
const run = (args) => {
  const result = spawnSync('pnpm', args, { cwd: app, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
if (unbuilt.length) {
  console.log(`Building ${unbuilt.join(', ')}...`);
  run(['--filter', '@acme-examples/crm-api^...', '--filter', '!@acme-examples/*', 'build']);
}
run(['run', '--silent', 'build']);

// The demo runs in its own process group, so Ctrl-C reaches only this launcher, which passes it
// on: the demo then stops the API and worker first, then Redis and PostgreSQL, in that order
// (the servers would otherwise get the terminal's SIGINT too and die under the API).
const demo = spawn(process.execPath, ['--import', 'tsx', join(app, 'demo', 'demo.ts')], { cwd: app, stdio: 'inherit', detached: true });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => demo.kill('SIGINT'));
demo.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
