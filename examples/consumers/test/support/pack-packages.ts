import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../../..');

/** The packages the consumer apps install, in dependency order. */
export const PACKED = ['nest-context', 'nest-tenancy', 'nest-casl', 'nest-audit', 'nest-view-presenter'] as const;

/**
 * `pnpm pack` of each package (its built dist, workspace: ranges rewritten as on publish) into `dir`.
 * Returns package name -> tarball path.
 */
export function packPackages(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  const tarballs: Record<string, string> = {};
  for (const name of PACKED) {
    const packageDir = join(ROOT, 'packages', name);
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` first (the consumers install the packed dist).`);
    }
    const before = new Set(readdirSync(dir));
    execFileSync('pnpm', ['pack', '--pack-destination', dir], { cwd: packageDir, stdio: 'pipe' });
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack produced no tarball for ${name}`);
    tarballs[`@acme/${name}`] = join(dir, file);
  }
  return tarballs;
}
