import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ChaosError } from './chaos.errors';

/** The newest modification time of the files under `dir`. */
const newest = (dir: string): number =>
  Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs),
  );

/** An @acme package whose dist is missing or older than one of its sources (as `pnpm demo` decides). */
function needsBuild(appRoot: string, name: string): boolean {
  const root = join(appRoot, 'node_modules', name);
  const built = join(root, 'dist', 'index.js');
  return !existsSync(built) || (existsSync(join(root, 'src')) && newest(join(root, 'src')) > statSync(built).mtimeMs);
}

function run(cwd: string, args: string[], what: string): void {
  const result = spawnSync('pnpm', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new ChaosError('CHAOS_BUILD_FAILED', `${what} failed (pnpm ${args.join(' ')}):\n${result.stdout}${result.stderr}`);
}

/**
 * Builds what the run executes: the @acme packages the app and the run import when their dist is stale, then
 * the app itself into `outDir` (a copy of the run's own, so a build elsewhere, `pnpm demo` or a
 * benchmark cleaning dist/, cannot pull the files from under the running processes).
 */
export function buildApp(appRoot: string, outDir: string, log: (line: string) => void): void {
  const manifest = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as Record<'dependencies' | 'devDependencies', Record<string, string>>;
  // devDependencies too: the run itself starts its servers with @acme/nest-testing.
  const stale = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter((name) => name.startsWith('@acme/') && needsBuild(appRoot, name));
  if (stale.length) {
    log(`building ${stale.join(', ')} (dist older than src)`);
    run(appRoot, ['--filter', '@acme-examples/crm-api^...', '--filter', '!@acme-examples/*', 'build'], 'building the packages');
  }
  run(appRoot, ['exec', 'tsup', '--out-dir', outDir, '--silent'], 'building the CRM API');
}
