import { Body, Controller, Delete, Get, Injectable, Module, Param, ParseIntPipe, Patch, Post, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibleBy,
  assertCan,
  CASL_DENIALS,
  CaslDenials,
  CaslModule,
  CheckAbility,
  CurrentAbility,
  PoliciesGuard,
  PublicRoute,
  SkipAbilityCheck,
  type AppAbility,
} from '@acme/nest-casl';
import { AUTHORIZATION_DENIALS, ContextModule, DENIAL_CODES, type AuthorizationDenials, type AuthorizationDenied } from '@acme/nest-context';
import { SkipTenancy, TenancyGuard, TenancyModule, TenantDb } from '@acme/nest-tenancy';
import { abilities } from './support/abilities';
import { createCaslFixture, type CaslFixture } from './support/database';
import { bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { companies, deals } from './support/schema';

const WS = '0190a0b2-0000-7000-8000-000000000001';

@Injectable()
class FakeJwtGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = claimsFromBearer(request.headers.authorization);
    return true;
  }
}

@Controller('deals')
class DealsController {
  constructor(private readonly db: TenantDb) {}

  @Get()
  @CheckAbility('Read', 'Deal')
  list(@CurrentAbility() ability: AppAbility) {
    return this.db
      .select()
      .from(deals)
      .where(accessibleBy(ability, 'Read', deals))
      .orderBy(asc(deals.id));
  }

  @Get(':id')
  @CheckAbility('Read', 'Deal')
  async get(@Param('id', ParseIntPipe) id: number, @CurrentAbility() ability: AppAbility) {
    const deal = await this.db.findOneOrThrow(deals, id);
    assertCan(ability, 'Read', 'Deal', deal);
    return deal;
  }

  @Patch(':id')
  @CheckAbility('Update', 'Deal')
  async update(@Param('id', ParseIntPipe) id: number, @Body() body: { title: string }, @CurrentAbility() ability: AppAbility) {
    const deal = await this.db.findOneOrThrow(deals, id);
    assertCan(ability, 'Update', 'Deal', deal);
    return this.db.updateOrThrow(deals, id, { title: body.title });
  }

  @Delete(':id')
  @CheckAbility('Delete', 'Deal')
  remove(@Param('id', ParseIntPipe) id: number) {
    return this.db.deleteOrThrow(deals, id);
  }
}

@Controller()
class CompaniesController {
  constructor(private readonly db: TenantDb) {}

  @Get('companies')
  @CheckAbility('Read', 'Company')
  list() {
    return this.db.select().from(companies);
  }

  @Post('companies')
  @CheckAbility(['Create', 'Company'], ['Read', 'Company'])
  async create(@Body() body: { name: string }) {
    const [row] = await this.db.insert(companies).values(body).returning();
    return row;
  }

  @Get('open')
  @SkipAbilityCheck()
  @SkipTenancy()
  open() {
    return { open: true };
  }

  @Get('open-before')
  @PublicRoute() // the deprecated name, until it goes
  @SkipTenancy()
  openBefore() {
    return { open: true };
  }

  @Get('forgotten')
  forgotten() {
    return { leaked: true };
  }

  @Get('needs-user')
  @SkipTenancy()
  @CheckAbility('Read', 'Company')
  needsUser() {
    return { ok: true };
  }
}

const as = (role: string, sub = 'u1') => bearer({ sub, roles: [role], workspace_id: WS });

describe.each(HTTP_ADAPTERS)('CASL over HTTP (%s)', (adapter) => {
  let fixture: CaslFixture;
  let http: HttpTestApp;
  const denied: AuthorizationDenied[] = [];
  const ids: Record<string, number> = {};

  const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    http.request(method, path, { headers, body }).then(({ status, body }) => ({ status, body }));

  beforeAll(async () => {
    fixture = await createCaslFixture();
    const seeded = await fixture.db
      .insert(deals)
      .values([
        { workspaceId: WS, title: 'Mine, New', stage: 'New', amount: 10, ownerId: 'u1', region: 'North' },
        { workspaceId: WS, title: 'Theirs, New', stage: 'New', amount: 20, ownerId: 'u2', region: 'South' },
        { workspaceId: WS, title: 'Mine, Won', stage: 'Won', amount: 30, ownerId: 'u1', region: null },
        { workspaceId: WS, title: 'Mine, Lost', stage: 'Lost', amount: 40, ownerId: 'u1', region: null },
      ])
      .returning();
    for (const deal of seeded) ids[deal.title] = deal.id;
    await fixture.db.insert(companies).values({ workspaceId: WS, name: 'Acme' });

    @Module({
      imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: fixture.db }), CaslModule.forRoot({ abilities })],
      controllers: [DealsController, CompaniesController],
      providers: [
        { provide: APP_GUARD, useClass: FakeJwtGuard },
        { provide: APP_GUARD, useClass: TenancyGuard },
        { provide: APP_GUARD, useClass: PoliciesGuard },
      ],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
    http.app.get(CaslDenials).subscribe((event) => void denied.push(event));
  });
  afterAll(async () => {
    await http?.close();
    await fixture?.close();
  });

  it('gives each role exactly its allowed endpoints', async () => {
    const matrix: [string, string, string, Record<string, number>][] = [
      ['GET', '/companies', '', { Admin: 200, Operator: 200, Viewer: 200, Auditor: 403 }],
      ['POST', '/companies', '', { Admin: 201, Operator: 201, Viewer: 403, Auditor: 403 }],
      ['GET', '/deals', '', { Admin: 200, Operator: 200, Viewer: 200, Auditor: 403 }],
      ['PATCH', '/deals/', 'Mine, New', { Admin: 200, Operator: 200, Viewer: 403, Auditor: 403 }],
      ['DELETE', '/deals/', 'Theirs, New', { Admin: 200, Operator: 403, Viewer: 403, Auditor: 403 }],
    ];
    for (const [method, path, deal, expected] of matrix) {
      const actual: Record<string, number> = {};
      for (const role of Object.keys(expected)) {
        const body = method === 'GET' || method === 'DELETE' ? undefined : method === 'POST' ? { name: `By ${role}` } : { title: 'Renamed' };
        actual[role] = (await call(method, `${path}${deal ? ids[deal] : ''}`, as(role), body)).status;
        if (method === 'DELETE' && actual[role] === 200) {
          await fixture.db.insert(deals).values({ id: ids[deal], workspaceId: WS, title: deal, stage: 'New', amount: 20, ownerId: 'u2', region: 'South' });
        }
      }
      expect(actual, `${method} ${path}${deal}`).toEqual(expected);
    }
  });

  it('filters lists through accessibleBy: a Viewer never sees Lost deals', async () => {
    const viewer = await call('GET', '/deals', as('Viewer'));
    expect(viewer.body.map((d: { id: number }) => d.id)).toEqual([ids['Mine, New'], ids['Theirs, New'], ids['Mine, Won']]);
    const operator = await call('GET', '/deals', as('Operator'));
    expect(operator.body).toHaveLength(4);
  });

  it('404 when the user may not read the row, 403 when readable but the action is not allowed', async () => {
    expect(await call('GET', `/deals/${ids['Mine, Lost']}`, as('Viewer'))).toMatchObject({ status: 404, body: { code: 'CASL_NOT_FOUND' } });
    expect((await call('GET', `/deals/${ids['Mine, Lost']}`, as('Operator'))).status).toBe(200);
    // Operator u1 may update own deals, but not someone else's and not Won/Lost ones.
    expect(await call('PATCH', `/deals/${ids['Theirs, New']}`, as('Operator'), { title: 'x' })).toMatchObject({
      status: 403,
      body: { code: 'CASL_FORBIDDEN' },
    });
    expect((await call('PATCH', `/deals/${ids['Mine, Won']}`, as('Operator'), { title: 'x' })).status).toBe(403);
    expect((await call('PATCH', `/deals/${ids['Theirs, New']}`, as('Operator', 'u2'), { title: 'ok' })).status).toBe(200);
  });

  it('denies a route without @CheckAbility (fail closed), even for Admin; @SkipAbilityCheck (or @PublicRoute) is open', async () => {
    expect(await call('GET', '/forgotten', as('Admin'))).toMatchObject({ status: 403, body: { code: DENIAL_CODES['No Policy'] } });
    expect(await call('GET', '/open')).toEqual({ status: 200, body: { open: true } });
    expect(await call('GET', '/open-before')).toEqual({ status: 200, body: { open: true } });
    expect(await call('GET', '/needs-user')).toMatchObject({ status: 401, body: { code: DENIAL_CODES.Unauthenticated } });
  });

  it('emits a denial event with who, what and where for each refusal', async () => {
    denied.length = 0;
    await call('POST', '/companies', as('Viewer', 'viewer-7'), { name: 'Nope' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(denied).toEqual([
      {
        kind: 'Forbidden',
        action: 'Create',
        subject: 'Company',
        userId: 'viewer-7',
        workspaceId: WS,
        requestId: expect.any(String),
        handler: 'CompaniesController.create',
      },
    ]);
  });

  it("assertCan refusals reach the same channel: 'Not Found' for a 404, 'Forbidden' for a 403", async () => {
    // Subscribed the way @acme/nest-audit does: by nest-context's token, without importing this package.
    const viaToken: AuthorizationDenied[] = [];
    const channel = http.app.get<AuthorizationDenials>(AUTHORIZATION_DENIALS, { strict: false });
    const unsubscribe = channel.subscribe((event) => void viaToken.push(event));
    denied.length = 0;
    expect((await call('GET', `/deals/${ids['Mine, Lost']}`, as('Viewer', 'viewer-7'))).status).toBe(404);
    expect((await call('PATCH', `/deals/${ids['Theirs, New']}`, as('Operator', 'u1'), { title: 'x' })).status).toBe(403);
    expect((await call('GET', `/deals/${ids['Mine, New']}`, as('Viewer', 'viewer-7'))).status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    unsubscribe();
    const where = { workspaceId: WS, requestId: expect.any(String) };
    expect(denied).toEqual([
      { kind: 'Not Found', action: 'Read', subject: 'Deal', userId: 'viewer-7', ...where, handler: 'DealsController.get' },
      { kind: 'Forbidden', action: 'Update', subject: 'Deal', userId: 'u1', ...where, handler: 'DealsController.update' },
    ]);
    expect(viaToken).toEqual(denied);
    expect(denied[0]!.requestId).not.toBe(denied[1]!.requestId);
  });

  it('the deprecated CASL_DENIALS token is the same provider as AUTHORIZATION_DENIALS', () => {
    const channel = http.app.get(AUTHORIZATION_DENIALS, { strict: false });
    expect(channel).toBe(http.app.get(CaslDenials));
    expect(http.app.get(CASL_DENIALS, { strict: false })).toBe(channel);
  });
});
