import { ContextModule } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';

const distEsm = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

/**
 * The built dist must keep `design:paramtypes`: PoliciesGuard receives Reflector,
 * AbilityFactory, CaslDenials and ContextService by type; without the metadata Nest
 * cannot construct it and the app does not boot (and AbilityFactory, whose CaslDenials is
 * optional, would silently stop reporting `assertCan` denials).
 */
describeBuiltDist(
  'built dist keeps decorator metadata',
  [distEsm, distCjs],
  () => {
    it.each([
      ['ESM', () => import(distEsm)],
      ['CJS', async () => createRequire(import.meta.url)(distCjs)],
    ])('the %s build boots and injects by type', async (_format, load) => {
      const dist = await load();
      expect(Reflect.getMetadata('design:paramtypes', dist.PoliciesGuard)?.[2]).toBe(dist.AbilityFactory);
      // AbilityFactory's CaslDenials is @Optional(): it must still be injected (assertCan denial events).
      expect(Reflect.getMetadata('design:paramtypes', dist.AbilityFactory)?.[2]).toBe(dist.CaslDenials);
      const abilities = dist.defineAbilities({ Admin: ({ can }: any) => can('Manage', 'all') });
      @Module({ imports: [ContextModule.forRoot(), dist.CaslModule.forRoot({ abilities })] })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
      try {
        expect(app.get(dist.PoliciesGuard)).toBeInstanceOf(dist.PoliciesGuard);
        expect(
          app
            .get(dist.AbilityFactory)
            .createFor({ id: 'u', roles: ['Admin'] }, 'ws')
            .can('Delete', 'Deal'),
        ).toBe(true);
      } finally {
        await app.close();
      }
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-casl build' },
);
