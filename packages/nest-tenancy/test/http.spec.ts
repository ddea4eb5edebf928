import { ContextModule } from '@acme/nest-context';
import { Body, Controller, Delete, Get, Module, Param, Patch, Post } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CurrentWorkspace, SkipTenancy, TenancyGuard, TenancyModule, TenantDb } from '@acme/nest-tenancy';
import { FakeJwtGuard } from './support/fake-jwt.guard';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { bearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { companies } from './support/schema';

@Controller()
class CompaniesController {
  constructor(private readonly db: TenantDb) {}

  @Get('health')
  @SkipTenancy()
  health() {
    return { ok: true };
  }

  @Get('whoami')
  whoami(@CurrentWorkspace() workspaceId: string) {
    return { workspaceId };
  }

  @Get('companies')
  list() {
    return this.db.select().from(companies).orderBy(companies.name);
  }

  @Get('companies/:id')
  get(@Param('id') id: string) {
    return this.db.findOneOrThrow(companies, id);
  }

  @Post('companies')
  async create(@Body() body: { name: string; workspaceId?: string }) {
    const [row] = await this.db.insert(companies).values(body).returning();
    return row;
  }

  @Post('companies/then-fail')
  async createThenFail(@Body() body: { name: string }) {
    await this.db.insert(companies).values(body);
    throw new Error('handler failed after writing');
  }

  @Patch('companies/:id')
  update(@Param('id') id: string, @Body() body: { name: string }) {
    return this.db.updateOrThrow(companies, id, body);
  }

  @Delete('companies/:id')
  remove(@Param('id') id: string) {
    return this.db.deleteOrThrow(companies, id);
  }
}

const userOf = (workspaceId: string) => bearer({ sub: 'user-1', workspace_id: workspaceId });
const ID_A = '0190a0b2-0000-7000-8000-0000000000a1';
const ID_B = '0190a0b2-0000-7000-8000-0000000000b1';
const MEMBERS = new Set([`user-1:${WS_A}`, `user-1:${WS_B}`]);

describe.each(HTTP_ADAPTERS.flatMap((adapter) => [false, true].map((rls) => ({ adapter, rls }))))(
  'tenancy over HTTP ($adapter, rls: $rls)',
  ({ adapter, rls }) => {
    let fixture: TenancyFixture;
    let http: HttpTestApp;

    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
      http.request(method, path, { headers, body }).then(({ status, body }) => ({ status, body }));

    beforeAll(async () => {
      fixture = await createTenancyFixture();
      @Module({
        imports: [
          ContextModule.forRoot(),
          TenancyModule.forRoot({
            db: rls ? fixture.app : fixture.admin,
            rls,
            isMember: ({ userId, workspaceId }) => MEMBERS.has(`${userId}:${workspaceId}`),
          }),
        ],
        controllers: [CompaniesController],
        providers: [
          { provide: APP_GUARD, useClass: FakeJwtGuard },
          { provide: APP_GUARD, useClass: TenancyGuard },
        ],
      })
      class AppModule {}
      http = await startHttpApp(AppModule, adapter);
    });
    afterAll(async () => {
      await http?.close();
      await fixture?.close();
    });
    beforeEach(async () => {
      await fixture.admin.delete(companies);
      await fixture.admin.insert(companies).values([
        { id: ID_A, workspaceId: WS_A, name: 'Alpha' },
        { id: ID_B, workspaceId: WS_B, name: 'Beta' },
      ]);
    });

    it('lists only the own workspace’s rows', async () => {
      const { status, body } = await call('GET', '/companies', userOf(WS_A));
      expect(status).toBe(200);
      expect(body.map((c: { id: string }) => c.id)).toEqual([ID_A]);
    });

    it('answers 404 (not 403, not 200) for another workspace’s id on read, update and delete', async () => {
      for (const [method, body] of [['GET'], ['PATCH', { name: 'Hacked' }], ['DELETE']] as const) {
        const response = await call(method, `/companies/${ID_B}`, userOf(WS_A), body);
        expect(response).toEqual({ status: 404, body: { statusCode: 404, code: 'TENANCY_NOT_FOUND', message: 'companies not found.' } });
      }
      const [b] = await fixture.admin.select().from(companies).where(eq(companies.id, ID_B));
      expect(b).toMatchObject({ name: 'Beta', workspaceId: WS_B });
    });

    it('answers 404 for a malformed id instead of a database error', async () => {
      expect((await call('GET', '/companies/not-a-uuid', userOf(WS_A))).status).toBe(404);
    });

    it('reads, updates and deletes own rows', async () => {
      expect((await call('GET', `/companies/${ID_A}`, userOf(WS_A))).body.name).toBe('Alpha');
      expect((await call('PATCH', `/companies/${ID_A}`, userOf(WS_A), { name: 'Alpha 2' })).body.name).toBe('Alpha 2');
      expect((await call('DELETE', `/companies/${ID_A}`, userOf(WS_A))).status).toBe(200);
    });

    it('stamps creates with the workspace and rejects a foreign workspace_id with 400', async () => {
      const created = await call('POST', '/companies', userOf(WS_A), { name: 'Gamma' });
      expect(created.status).toBe(201);
      expect(created.body.workspaceId).toBe(WS_A);
      const planted = await call('POST', '/companies', userOf(WS_A), { name: 'Planted', workspaceId: WS_B });
      expect(planted).toMatchObject({ status: 400, body: { code: 'TENANCY_WORKSPACE_MISMATCH' } });
      expect(await fixture.admin.select().from(companies).where(eq(companies.name, 'Planted'))).toEqual([]);
    });

    it('missing workspace -> 401, malformed -> 400, not a member -> 404, each with a stable code', async () => {
      expect(await call('GET', '/companies')).toMatchObject({ status: 401, body: { code: 'TENANCY_WORKSPACE_REQUIRED' } });
      expect(await call('GET', '/companies', bearer({ sub: 'user-1', workspace_id: 'ws-1' }))).toMatchObject({
        status: 400,
        body: { code: 'TENANCY_WORKSPACE_INVALID' },
      });
      const stranger = bearer({ sub: 'user-2', workspace_id: WS_A });
      expect(await call('GET', '/companies', stranger)).toMatchObject({ status: 404, body: { code: 'TENANCY_WORKSPACE_NOT_FOUND' } });
    });

    it('@SkipTenancy routes need no workspace; @CurrentWorkspace gives the resolved one', async () => {
      expect(await call('GET', '/health')).toEqual({ status: 200, body: { ok: true } });
      expect((await call('GET', '/whoami', userOf(WS_B))).body).toEqual({ workspaceId: WS_B });
    });

    it.runIf(rls)('with RLS a request is one transaction: a failing handler leaves no partial write', async () => {
      const response = await call('POST', '/companies/then-fail', userOf(WS_A), { name: 'Half Done' });
      expect(response.status).toBe(500);
      expect(await fixture.admin.select().from(companies).where(eq(companies.name, 'Half Done'))).toEqual([]);
    });
  },
);

describe.each(HTTP_ADAPTERS)('tenancy with a custom resolveWorkspace, via forRootAsync (%s)', (adapter) => {
  let fixture: TenancyFixture;
  let http: HttpTestApp;
  const asUser = (workspace?: string) => ({ ...bearer({ sub: 'user-1' }), ...(workspace && { 'x-workspace-id': workspace }) });

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    @Module({
      imports: [
        ContextModule.forRoot(),
        TenancyModule.forRootAsync({
          useFactory: async () => ({
            db: fixture.app,
            rls: true,
            // The workspace comes from a header here (a subdomain or a path would do as well),
            // not from the token; membership is still checked.
            resolveWorkspace: (request) => request.headers['x-workspace-id'] as string | undefined,
            isMember: ({ userId, workspaceId }) => MEMBERS.has(`${userId}:${workspaceId}`),
          }),
        }),
      ],
      controllers: [CompaniesController],
      providers: [
        { provide: APP_GUARD, useClass: FakeJwtGuard },
        { provide: APP_GUARD, useClass: TenancyGuard },
      ],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
    await fixture.admin.insert(companies).values([
      { id: ID_A, workspaceId: WS_A, name: 'Alpha' },
      { id: ID_B, workspaceId: WS_B, name: 'Beta' },
    ]);
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });

  it('scopes every query to the workspace the resolver names', async () => {
    for (const [workspace, name] of [
      [WS_A, 'Alpha'],
      [WS_B, 'Beta'],
    ]) {
      const response = await http.request('GET', '/companies', { headers: asUser(workspace) });
      expect(response.status).toBe(200);
      expect(response.body.map((c: { name: string }) => c.name)).toEqual([name]);
    }
    expect((await http.request('GET', `/companies/${ID_B}`, { headers: asUser(WS_A) })).status).toBe(404);
  });

  it('what the resolver returns gets the same checks as a claim', async () => {
    expect(await http.request('GET', '/companies', { headers: asUser() })).toMatchObject({ status: 401, body: { code: 'TENANCY_WORKSPACE_REQUIRED' } });
    expect(await http.request('GET', '/companies', { headers: asUser('ws-1') })).toMatchObject({ status: 400, body: { code: 'TENANCY_WORKSPACE_INVALID' } });
    const stranger = { ...bearer({ sub: 'user-2' }), 'x-workspace-id': WS_A };
    expect(await http.request('GET', '/companies', { headers: stranger })).toMatchObject({ status: 404, body: { code: 'TENANCY_WORKSPACE_NOT_FOUND' } });
  });
});
