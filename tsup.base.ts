import type { Options } from 'tsup';

/**
 * Build settings every package shares: ESM + CJS + .d.ts/.d.cts, Node 22 target.
 * `@swc/core` must be installed: without it tsup silently drops `design:paramtypes`
 * and consumers fail with "Nest can't resolve dependencies".
 */
export function packageBuild(entry: Record<string, string> | string[], overrides: Options = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node22',
    platform: 'node',
    splitting: false,
    treeshake: false,
    ...overrides,
  };
}
