import { ContextService, ContextModule } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp } from '@acme/nest-testing';
import { Controller, Delete, ForbiddenException, Injectable, Module, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { Audit, AuditModule, AuditService } from '@acme/nest-audit';
import { createAuditFixture, eventually, type AuditFixture } from './support/audit-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000cc';

describe('outbox and denials', () => {
  let fixture: AuditFixture;
  beforeAll(async () => {
    fixture = await createAuditFixture();
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.clear());

  it('outbox: an entry written in the caller’s transaction exists only if the transaction commits', async () => {
    @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool } })] })
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
    expect(rows.map((r) => [r.subject_id, r.workspace_id, r.actor_id, r.changes])).toEqual([['committed', WS, 'u1', { stage: { from: null, to: 'Won' } }]]);
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
        ContextModule.forRoot(),
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

  it.each(HTTP_ADAPTERS)(
    'a 403 from a guard of the app is recorded once as Failure; casl denials and audited failures are not doubled (%s)',
    async (adapter) => {
      @Injectable()
      class StaffOnlyGuard implements CanActivate {
        constructor(private readonly context: ContextService) {}
        canActivate(execution: ExecutionContext) {
          const request = execution.switchToHttp().getRequest();
          this.context.update({ workspaceId: WS, actor: { kind: 'User', id: 'guest-1' } });
          request.user = { sub: 'guest-1', roles: ['Viewer'] };
          return request.headers['x-staff'] === 'yes';
        }
      }
      @Injectable()
      class Deals {
        @Audit({ action: 'Close', subject: 'Deal' })
        close(): never {
          throw new ForbiddenException('Closed deals stay closed');
        }
      }
      @Controller('deals')
      class DealsController {
        constructor(private readonly deals: Deals) {}
        @Post(':id/close')
        @CheckAbility('Read', 'Deal')
        close() {
          return this.deals.close();
        }
        @Delete(':id')
        @CheckAbility('Delete', 'Deal')
        remove() {
          return { deleted: true };
        }
      }
      @Module({
        imports: [
          ContextModule.forRoot(),
          AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 } }),
          CaslModule.forRoot({ abilities: defineAbilities<'Deal', 'Viewer'>({ Viewer: ({ can }) => can('Read', 'Deal') }) }),
        ],
        controllers: [DealsController],
        providers: [Deals, { provide: APP_GUARD, useClass: StaffOnlyGuard }, { provide: APP_GUARD, useClass: PoliciesGuard }],
      })
      class AppModule {}
      const http = await startHttpApp(AppModule, adapter);
      /** The entries once `count` landed, checked again a moment later: a late second entry would show. */
      const entries = async (count: number) => {
        const audit = http.app.get(AuditService);
        await eventually(async () => {
          await audit.flush();
          expect(await fixture.rows()).toHaveLength(count);
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
        await audit.flush();
        const rows = await fixture.rows();
        expect(rows).toHaveLength(count);
        return rows;
      };
      try {
        // The app's own guard says no: nothing else records it, the middleware does.
        expect((await fetch(`${http.url}/deals/d-1?reason=x`, { method: 'DELETE' })).status).toBe(403);
        const [refused] = await entries(1);
        expect(refused).toMatchObject({
          action: 'Access',
          subject: 'Route',
          status: 'Failure',
          error_code: 'ACCESS_DENIED',
          error_message: 'Refused with 403 at DELETE /deals/d-1',
          workspace_id: WS,
          actor_id: 'guest-1',
          metadata: { denial: 'Forbidden', method: 'DELETE', path: '/deals/d-1' },
        });

        // Past that guard, CASL refuses: one entry, CASL's, not a second one for the 403.
        await fixture.clear();
        expect((await fetch(`${http.url}/deals/d-1`, { method: 'DELETE', headers: { 'x-staff': 'yes' } })).status).toBe(403);
        const [denied] = await entries(1);
        expect(denied).toMatchObject({ action: 'Delete', subject: 'Deal', error_code: 'CASL_FORBIDDEN' });

        // An audited method that throws a 403: one entry, the method's.
        await fixture.clear();
        expect((await fetch(`${http.url}/deals/d-1/close`, { method: 'POST', headers: { 'x-staff': 'yes' } })).status).toBe(403);
        const [failed] = await entries(1);
        expect(failed).toMatchObject({ action: 'Close', subject: 'Deal', status: 'Failure', error_code: 'HTTP_403' });
      } finally {
        await http.close();
      }
    },
  );

  it("recordForbiddenResponses: false leaves a guard's 403 unrecorded", async () => {
    class NoGuard implements CanActivate {
      canActivate() {
        return false;
      }
    }
    @Controller('deals')
    class DealsController {
      @Delete(':id')
      remove() {
        return { deleted: true };
      }
    }
    @Module({
      imports: [ContextModule.forRoot(), AuditModule.forRoot({ database: { pool: fixture.pool }, batch: { maxWaitMs: 1 }, recordForbiddenResponses: false })],
      controllers: [DealsController],
      providers: [{ provide: APP_GUARD, useClass: NoGuard }],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, 'express');
    try {
      expect((await fetch(`${http.url}/deals/d-1`, { method: 'DELETE' })).status).toBe(403);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await http.app.get(AuditService).flush();
      expect(await fixture.rows()).toEqual([]);
    } finally {
      await http.close();
    }
  });
});
