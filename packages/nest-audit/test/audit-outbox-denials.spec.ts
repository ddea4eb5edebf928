import { ContextService } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';
import { Controller, Delete, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000cc';

describe('outbox and denials', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.pool.query('DELETE FROM audit_log'));

  it('outbox: an entry written in the caller’s transaction exists only if the transaction commits', async () => {
    @Module({ imports: [AuditModule.forRoot({ database: { pool: fixture.pool } })] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    const audit = app.get(AuditService);
    const db = drizzle(fixture.pool);
    const context = new ContextService();
    await context.run({ workspaceId: WS, actor: { kind: 'User', id: 'u1' } }, async () => {
      await db
        .transaction(async (tx) => {
          await audit.record({ action: 'Close', subject: 'Deal', subjectId: 'rolled-back' }, { transaction: tx });
          tx.rollback();
        })
        .catch(() => undefined);
      await db.transaction(async (tx) => {
        await audit.record({ action: 'Close', subject: 'Deal', subjectId: 'committed', after: { stage: 'Won' } }, { transaction: tx });
      });
    });
    const rows = await fixture.rows();
    expect(rows.map((r) => [r.subject_id, r.workspace_id, r.actor_id, r.changes])).toEqual([
      ['committed', WS, 'u1', { stage: { from: null, to: 'Won' } }],
    ]);
    await app.close();
  });

  it.each(HTTP_ADAPTERS)('authorization denials from @acme/nest-casl are recorded as Failure (%s)', async (adapter) => {
    @Injectable()
    class ViewerGuard implements CanActivate {
      constructor(private readonly context: ContextService) {}
      canActivate(execution: ExecutionContext) {
        execution.switchToHttp().getRequest().user = { sub: 'viewer-1', roles: ['Viewer'] };
        this.context.update({ workspaceId: WS, actor: { kind: 'User', id: 'viewer-1' } });
        return true;
      }
    }
    @Controller('deals')
    class DealsController {
      @Delete(':id')
      @CheckAbility('Delete', 'Deal')
      remove() {
        return { deleted: true };
      }
    }
    @Module({
      imports: [
        AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } }),
        CaslModule.forRoot({ abilities: defineAbilities<'Deal', 'Viewer'>({ Viewer: ({ can }) => can('Read', 'Deal') }) }),
      ],
      controllers: [DealsController],
      providers: [
        { provide: APP_GUARD, useClass: ViewerGuard },
        { provide: APP_GUARD, useClass: PoliciesGuard },
      ],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, adapter);
    try {
      expect((await fetch(`${http.url}/deals/d-1`, { method: 'DELETE' })).status).toBe(403);
      const [entry] = await eventually(async () => {
        await http.app.get(AuditService).flush();
        const rows = await fixture.rows();
        expect(rows).toHaveLength(1);
        return rows;
      });
      expect(entry).toMatchObject({
        action: 'Delete',
        subject: 'Deal',
        status: 'Failure',
        error_code: 'CASL_FORBIDDEN',
        workspace_id: WS,
        actor_kind: 'User',
        actor_id: 'viewer-1',
        metadata: { denial: 'Forbidden', handler: 'DealsController.remove' },
      });
    } finally {
      await http.close();
    }
  });
});
