import { ContextModule } from '@acme/nest-context';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeBuiltDist } from '@acme/nest-testing/vitest';
import { createAuditFixture, type AuditFixture } from './support/audit-fixture';

const distEsm = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const distCjs = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));

/**
 * The built dist must keep `design:paramtypes`: AuditService, AuditExplorer, the recorder and the
 * pipeline receive each other, DiscoveryService and ContextService by type. Without the metadata Nest
 * cannot construct them; with it an @Audit method of the app writes an entry.
 */
describeBuiltDist(
  'built dist keeps decorator metadata',
  [distEsm, distCjs],
  () => {
    let fixture: AuditFixture;
    beforeAll(async () => {
      fixture = await createAuditFixture();
    });
    afterAll(() => fixture.close());

    it.each([
      ['ESM', () => import(distEsm)],
      ['CJS', async () => createRequire(import.meta.url)(distCjs)],
    ])('the %s build boots, injects by type and audits', async (format, load) => {
      const dist = await load();
      expect(Reflect.getMetadata('design:paramtypes', dist.AuditService)?.map((type: { name: string }) => type.name)).toEqual([
        'AuditPipeline',
        'AuditRecorder',
        'Object', // the resolved options, injected by token
      ]);

      @Injectable()
      class PingService {
        @dist.Audit({ action: 'Ping', subject: 'Canary' })
        ping() {
          return { id: format };
        }
      }
      @Module({ imports: [ContextModule.forRoot(), dist.AuditModule.forRoot({ database: { pool: fixture.pool } })], providers: [PingService] })
      class AppModule {}
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
      try {
        app.get(PingService).ping();
        await app.get(dist.AuditService).flush();
        const { rows } = await fixture.pool.query('SELECT subject_id FROM audit_log WHERE subject = $1 AND subject_id = $2', ['Canary', format]);
        expect(rows).toHaveLength(1);
      } finally {
        await app.close();
      }
    });
  },
  { buildCommand: 'pnpm --filter @acme/nest-audit build' },
);
