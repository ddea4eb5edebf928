import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './child-env';

export const ROOT = join(import.meta.dirname, '../../../..');

const run = promisify(execFile);

/**
 * `pnpm pack` of each package (its built dist, `workspace:` ranges rewritten to real versions as on
 * publish), each into its own folder under `dir`. Returns package name -> tarball path.
 * Refuses a package whose dist is missing or older than its sources: the consumers would otherwise
 * prove a stale build.
 */
export async function packPackages(names: readonly string[], dir: string): Promise<Record<string, string>> {
  for (const name of names) assertBuilt(name);
  const entries = await Promise.all(
    names.map(async (name) => {
      const destination = join(dir, name.replace('@acme/', ''));
      mkdirSync(destination, { recursive: true });
      const packageDir = join(ROOT, 'packages', name.replace('@acme/', ''));
      try {
        await run('pnpm', ['pack', '--pack-destination', destination], { cwd: packageDir, env: childEnv(), timeout: 120_000 });
      } catch (error) {
        throw new Error(`pnpm pack failed in ${relative(ROOT, packageDir)}:\n${describeFailure(error)}`, { cause: error });
      }
      const tarballs = readdirSync(destination).filter((file) => file.endsWith('.tgz'));
      if (tarballs.length !== 1) throw new Error(`pnpm pack left ${tarballs.length} tarballs for ${name} in ${destination}`);
      return [name, join(destination, tarballs[0]!)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** Throws unless the package's dist exists and is newer than every source file (says to run `pnpm build`). */
export function assertBuilt(name: string): void {
  const packageDir = join(ROOT, 'packages', name.replace('@acme/', ''));
  if (!existsSync(packageDir)) throw new Error(`${name}: no folder ${relative(ROOT, packageDir)}`);
  const built = ['index.js', 'index.cjs'].map((file) => join(packageDir, 'dist', file));
  if (!built.every((file) => existsSync(file))) {
    throw new Error(`${name} is not built (no dist/index.js + dist/index.cjs): run \`pnpm build\` first; the consumers install the packed dist.`);
  }
  const builtAt = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const newer = sources(join(packageDir, 'src')).filter((file) => statSync(file).mtimeMs > builtAt);
  if (newer.length > 0) {
    throw new Error(`${name}: dist is older than ${newer.map((file) => relative(ROOT, file)).join(', ')}: run \`pnpm build\` first.`);
  }
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.ts$/.test(entry.name) && !/\.(spec|test)\.ts$/.test(entry.name) ? [path] : [];
  });
}

/** The message of a failed execFile: the command's own stderr and stdout. */
export function describeFailure(error: unknown): string {
  // execFile's message is "Command failed: <command>" followed by the command's stderr.
  const { message, stdout } = error as { message?: string; stdout?: string };
  return [message, stdout && `stdout:\n${stdout}`].filter(Boolean).join('\n');
}
