import { fileURLToPath } from 'node:url';
import { defineProject, mergeConfig, type UserWorkspaceConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * Settings every project shares. `@acme/*` imports resolve to the packages' sources,
 * so tests never run against a stale dist (the canary tests import dist on purpose).
 */
export function defineSuiteProject(name: string, overrides: UserWorkspaceConfig = {}) {
  return mergeConfig(
    defineProject({
      resolve: {
        alias: [
          { find: /^@acme\/(nest-[a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
          { find: /^@acme\/(nest-[a-z-]+)\/([a-z-]+)$/, replacement: `${root}packages/$1/src/$2.ts` },
        ],
      },
      test: {
        name,
        include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    }),
    defineProject(overrides),
  );
}
