// Hostile input is normal input: the user PoliciesGuard builds abilities for comes from the
// request (token claims, or whatever resolveUser reads), and its id, roles and claims end up in
// cache keys, denial events and, through rules like `{ ownerId: user.id }`, in SQL. A user with
// NUL, control, invisible or unpaired characters is a 401 with a stable code, not a 500 from
// Postgres, and is named nowhere.
import { ContextModule, ContextService, type AuthorizationDenied } from '@acme/nest-context';
import { Controller, Get, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibleBy,
  CaslDenials,
  CaslModule,
  CheckAbility,
  CurrentAbility,
  defineAbilities,
  PoliciesGuard,
  SkipAbilityCheck,
  type AppAbility,
  type CaslModuleOptions,
} from '@acme/nest-casl';
import { bearer, claimsFromBearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { createCaslFixture, type CaslFixture } from './support/database';
import { deals } from './support/schema';

const WS = '0190a0b2-0000-7000-8000-000000000003';

/** Operators update their own deals; regional readers read the deals of their region claim. */
const abilities = defineAbilities<'Deal', 'Operator' | 'Regional'>({
  Operator: ({ can }, { user }) => {
    can('Read', 'Deal');
    can('Update', 'Deal', { ownerId: user.id });
  },
  Regional: ({ can }, { user }) => {
    can('Read', 'Deal', { region: user.region as string });
  },
});

/** Authentication and tenancy stand-ins: the claims of the bearer token, a fixed workspace. */
@Injectable()
class ClaimsAndWorkspace implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = claimsFromBearer(request.headers.authorization);
    this.context.update({ workspaceId: WS });
    return true;
  }
}

describe.each(HTTP_ADAPTERS)('hostile users in PoliciesGuard (%s)', (adapter) => {
  let fixture: CaslFixture;
  const apps: HttpTestApp[] = [];
  const denied: AuthorizationDenied[] = [];

  async function startApp(options: Omit<CaslModuleOptions, 'abilities'>): Promise<HttpTestApp> {
    @Controller()
    class DealsController {
      /** The deals the user may update: `owner_id = <user id>` in SQL. */
      @Get('deals/mine')
      @CheckAbility('Read', 'Deal')
      mine(@CurrentAbility() ability: AppAbility) {
        return fixture.db
          .select()
          .from(deals)
          .where(accessibleBy(ability, 'Update', deals))
          .orderBy(asc(deals.id));
      }

      /** The deals the user may read: `region = <region claim>` in SQL for a regional reader. */
      @Get('deals')
      @CheckAbility('Read', 'Deal')
      list(@CurrentAbility() ability: AppAbility) {
        return fixture.db
          .select()
          .from(deals)
          .where(accessibleBy(ability, 'Read', deals))
          .orderBy(asc(deals.id));
      }

      @Get('open')
      @SkipAbilityCheck()
      open() {
        return { open: true };
      }

      @Get('forgotten')
      forgotten() {
        return { leaked: true };
      }
    }
    @Module({
      imports: [ContextModule.forRoot(), CaslModule.forRoot({ abilities, ...options })],
      controllers: [DealsController],
      providers: [
        { provide: APP_GUARD, useClass: ClaimsAndWorkspace },
        { provide: APP_GUARD, useClass: PoliciesGuard },
      ],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, adapter);
    http.app.get(CaslDenials).subscribe((event) => void denied.push(event));
    apps.push(http);
    return http;
  }

  let byDefault: HttpTestApp;
  let withClaims: HttpTestApp;
  const call = (http: HttpTestApp, path: string, claims: Record<string, unknown>) =>
    http.request('GET', path, { headers: bearer(claims) }).then(({ status, body }) => ({ status, body }));
  const INVALID_USER = { status: 401, body: { statusCode: 401, code: 'CASL_USER_INVALID', message: expect.any(String) } };

  beforeAll(async () => {
    fixture = await createCaslFixture();
    await fixture.db.insert(deals).values([
      { workspaceId: WS, title: 'Of u1', stage: 'New', amount: 1, ownerId: 'u1', region: 'North' },
      // What an unpaired surrogate in 'u1\ud800' would become on its way to Postgres.
      { workspaceId: WS, title: 'Of u1\uFFFD', stage: 'New', amount: 2, ownerId: 'u1\uFFFD', region: 'South' },
    ]);
    byDefault = await startApp({});
    // A resolver that hands the abilities every claim (here `region`).
    withClaims = await startApp({
      resolveUser: (request) => (request.user ? { id: request.user.sub as string, roles: request.user.roles as string[], region: request.user.region } : null),
    });
  });
  afterAll(async () => {
    await Promise.all(apps.map((http) => http.close()));
    await fixture?.close();
  });

  it('a user id with NUL, control, invisible or unpaired characters, or over 256 characters, is a 401', async () => {
    expect(await call(byDefault, '/deals/mine', { sub: 'u1', roles: ['Operator'] })).toMatchObject({ status: 200, body: [{ title: 'Of u1' }] });
    for (const sub of ['u1\u0000', '\u0000', 'u1\ud800', '\udfff', 'u1\u200b', '\u202eu1', 'u1\r\n', 'u'.repeat(257), 2 ** 60]) {
      expect(await call(byDefault, '/deals/mine', { sub, roles: ['Operator'] }), JSON.stringify(sub).slice(0, 30)).toEqual(INVALID_USER);
    }
  });

  it('a role or roles version with such characters is a 401, not an unknown role', async () => {
    for (const claims of [
      { roles: ['Operator\u0000'] },
      { roles: ['Operator', '\u2066Admin'] },
      { roles: ['x'.repeat(257)] },
      { roles: ['Operator'], roles_version: 'v\u0000' },
    ]) {
      expect(await call(byDefault, '/deals/mine', { sub: 'u1', ...claims }), JSON.stringify(claims)).toEqual(INVALID_USER);
    }
  });

  it('any claim resolveUser passes on with NUL or an unpaired surrogate is a 401 before a rule puts it in SQL', async () => {
    expect(await call(withClaims, '/deals', { sub: 'r1', roles: ['Regional'], region: 'South' })).toMatchObject({ status: 200, body: [{ region: 'South' }] });
    for (const region of ['South\u0000', 'South\ud800', { nested: ['\u0000'] }]) {
      expect(await call(withClaims, '/deals', { sub: 'r1', roles: ['Regional'], region }), JSON.stringify(region)).toEqual(INVALID_USER);
    }
  });

  it('the refusal is an Unauthenticated denial that names no user; public routes are untouched', async () => {
    denied.length = 0;
    expect(await call(byDefault, '/deals/mine', { sub: 'u1\u0000', roles: ['Operator'] })).toEqual(INVALID_USER);
    expect(await call(byDefault, '/forgotten', { sub: 'u1\u0000', roles: ['Operator'] })).toEqual(INVALID_USER);
    expect(await call(byDefault, '/open', { sub: 'u1\u0000' })).toEqual({ status: 200, body: { open: true } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(denied).toEqual([
      {
        kind: 'Unauthenticated',
        action: 'Read',
        subject: 'Deal',
        userId: null,
        workspaceId: WS,
        requestId: expect.any(String),
        handler: 'DealsController.mine',
      },
      {
        kind: 'Unauthenticated',
        action: null,
        subject: null,
        userId: null,
        workspaceId: WS,
        requestId: expect.any(String),
        handler: 'DealsController.forgotten',
      },
    ]);
  });
});
