import { ContextModule } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { createTenancyFixture, type TenancyFixture } from './support/database';

const distEsm = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

/**
 * The built dist must keep `design:paramtypes`: Tenancy, TenancyGuard and the transaction
 * interceptor receive TenantDb, ContextService and Reflector by type. Without the metadata
 * Nest cannot construct them and the app does not boot.
 */
describeBuiltDist(
  'built dist keeps decorator metadata',
  [distEsm, distCjs],
  () => {
    let fixture: TenancyFixture;
    beforeAll(async () => {
      fixture = await createTenancyFixture();
    });
    afterAll(() => fixture.close());

    it.each([
      ['ESM', () => import(distEsm)],
      ['CJS', async () => createRequire(import.meta.url)(distCjs)],
    ])('the %s build boots and injects by type', async (_format, load) => {
      const dist = await load();
      expect(Reflect.getMetadata('design:paramtypes', dist.Tenancy)?.[1]).toBe(dist.TenantDb);
      @Module({ imports: [ContextModule.forRoot(), dist.TenancyModule.forRoot({ db: fixture.app })] })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
      try {
        expect(app.get(dist.Tenancy)).toBeInstanceOf(dist.Tenancy);
        expect(app.get(dist.TenancyGuard)).toBeInstanceOf(dist.TenancyGuard);
      } finally {
        await app.close();
      }
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-tenancy build' },
);
