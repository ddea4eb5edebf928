import { ContextModule, ContextService } from '@acme/nest-context';
import { Logger, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Tenancy, TenancyModule, TenantContextMissingError, TenantDb } from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { companies } from './support/schema';

describe.each([false, true])('work outside HTTP requests (rls: %s)', (rls) => {
  let fixture: TenancyFixture;
  let tenancy: Tenancy;
  let db: TenantDb;
  let close: () => Promise<void>;

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    @Module({ imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: rls ? fixture.app : fixture.admin, rls, systemDb: fixture.admin })] })
    class WorkerModule {}
    const moduleRef = await Test.createTestingModule({ imports: [WorkerModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    tenancy = app.get(Tenancy);
    db = app.get(TenantDb);
    close = () => app.close();
  });
  afterAll(async () => {
    await close();
    await fixture.close();
  });
  beforeEach(async () => {
    await fixture.admin.delete(companies);
    await fixture.admin.insert(companies).values([
      { workspaceId: WS_A, name: 'Alpha' },
      { workspaceId: WS_B, name: 'Beta' },
    ]);
  });

  it('runInWorkspace scopes a job to one workspace, as System unless told otherwise', async () => {
    const context = new ContextService();
    const seen = await tenancy.runInWorkspace(WS_B, async () => ({
      names: (await db.select().from(companies)).map((c) => c.name),
      actor: context.require().actor,
    }));
    expect(seen).toEqual({ names: ['Beta'], actor: { kind: 'System', id: null } });

    const asJob = await tenancy.runInWorkspace(WS_A, async () => context.require().actor, { kind: 'Job', id: 'job-1' });
    expect(asJob).toEqual({ kind: 'Job', id: 'job-1' });
  });

  it('a job without a workspace fails closed', async () => {
    await expect(async () => db.select().from(companies)).rejects.toBeInstanceOf(TenantContextMissingError);
  });

  it('withoutTenant runs on the system database and logs the reason every time', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const names = await tenancy.withoutTenant('nightly-digest', async (system) =>
        (await system.select().from(companies).orderBy(companies.name)).map((c) => c.name),
      );
      expect(names).toEqual(['Alpha', 'Beta']);
      expect(warn).toHaveBeenCalledWith(expect.objectContaining({ msg: 'withoutTenant', reason: 'nightly-digest' }));
      expect(() => tenancy.withoutTenant('  ', () => 1)).toThrow(/needs a reason/);
    } finally {
      warn.mockRestore();
    }
  });
});
