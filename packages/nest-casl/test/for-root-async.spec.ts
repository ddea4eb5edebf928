import { ContextModule, ContextService, type AuthorizationDenied } from '@acme/nest-context';
import { bearer, HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Get, Inject, Injectable, Module, Param, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbilityFactory,
  assertCan,
  CaslDenials,
  CaslModule,
  CaslOptionsError,
  CheckAbility,
  CurrentAbility,
  PoliciesGuard,
  type AbilityUser,
  type AppAbility,
  type CaslRequest,
} from '@acme/nest-casl';
import { abilities } from './support/abilities';

const WS = '0190a0b2-0000-7000-8000-000000000002';
const SETTINGS = Symbol('settings');

/** Stands in for a config module: the header the app's gateway puts the user in. */
@Module({ providers: [{ provide: SETTINGS, useValue: { userHeader: 'x-user' } }], exports: [SETTINGS] })
class SettingsModule {}

/** Stands in for tenancy: the workspace from a header, before PoliciesGuard. */
@Injectable()
class WorkspaceFromHeader implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(execution: ExecutionContext): boolean {
    const workspace = execution.switchToHttp().getRequest().headers['x-workspace'];
    if (typeof workspace === 'string') this.context.update({ workspaceId: workspace });
    return true;
  }
}

/** `x-user: <id>:<Role>,<Role>[:<version>]`, what a gateway in front of the app might send. */
function userFromHeader(header: string) {
  return (request: CaslRequest): AbilityUser | null => {
    const value = (request.headers as Record<string, string | undefined>)[header];
    if (!value) return null;
    const [id, roles, version] = value.split(':');
    return { id: id!, roles: roles ? roles.split(',') : [], ...(version ? { rolesVersion: version } : {}) };
  };
}

const DEALS: Record<string, { stage: string; ownerId: string }> = {
  '1': { stage: 'New', ownerId: 'u1' },
  '2': { stage: 'Lost', ownerId: 'u1' },
};

@Controller('deals')
class DealsController {
  @Get(':id')
  @CheckAbility('Read', 'Deal')
  get(@Param('id') id: string, @CurrentAbility() ability: AppAbility) {
    assertCan(ability, 'Read', 'Deal', DEALS[id]!);
    return { id, ...DEALS[id] };
  }
}

/** A provider outside CaslModule's imports: it resolves only because the module is global. */
@Injectable()
class Elsewhere {
  constructor(@Inject(AbilityFactory) readonly factory: AbilityFactory) {}
}
@Module({ providers: [Elsewhere], exports: [Elsewhere] })
class FeatureModule {}

describe.each(HTTP_ADAPTERS)('CaslModule.forRootAsync with resolveUser (%s)', (adapter) => {
  let http: HttpTestApp;
  const denied: AuthorizationDenied[] = [];
  const get = (path: string, headers: Record<string, string> = {}) =>
    http.request('GET', path, { headers: { 'x-workspace': WS, ...headers } }).then(({ status, body }) => ({ status, body }));

  beforeAll(async () => {
    @Module({
      imports: [
        ContextModule.forRoot(),
        CaslModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: (settings: { userHeader: string }) => ({ abilities, resolveUser: userFromHeader(settings.userHeader), cacheSize: 100 }),
        }),
        FeatureModule,
      ],
      controllers: [DealsController],
      providers: [
        { provide: APP_GUARD, useClass: WorkspaceFromHeader },
        { provide: APP_GUARD, useClass: PoliciesGuard },
      ],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
    http.app.get(CaslDenials).subscribe((event) => void denied.push(event));
  });
  afterAll(() => http?.close());

  it('builds abilities for the user resolveUser returns, not request.user', async () => {
    expect(await get('/deals/1', { 'x-user': 'u7:Viewer' })).toEqual({ status: 200, body: { id: '1', stage: 'New', ownerId: 'u1' } });
    expect((await get('/deals/1', { 'x-user': 'u7:Auditor' })).status).toBe(403);
    // A bearer token would be request.user for the default resolver; this app's resolver ignores it.
    expect(await get('/deals/1', bearer({ sub: 'u7', roles: ['Admin'] }))).toMatchObject({ status: 401, body: { code: 'CASL_UNAUTHENTICATED' } });
  });

  it("resolveUser's user is the one denial events name; its rolesVersion keys the cache", async () => {
    denied.length = 0;
    expect((await get('/deals/2', { 'x-user': 'u7:Viewer' })).status).toBe(404);
    await new Promise((resolve) => setImmediate(resolve));
    expect(denied).toMatchObject([{ kind: 'Not Found', userId: 'u7', workspaceId: WS, handler: 'DealsController.get' }]);

    // Two role versions of one user are two cache entries: the version came from resolveUser.
    for (const version of ['3', '3', '4']) expect((await get('/deals/1', { 'x-user': `u8:Viewer:${version}` })).status).toBe(200);
    expect(http.app.get(AbilityFactory).invalidate({ userId: 'u8' })).toBe(2);
  });

  it('is global by default: a module that does not import it injects AbilityFactory', () => {
    expect(http.app.get(Elsewhere).factory).toBe(http.app.get(AbilityFactory));
  });
});

describe('CaslModule.forRootAsync at bootstrap', () => {
  const boot = async (module: unknown) => {
    const app = await NestFactory.createApplicationContext(module as never, { logger: false, abortOnError: false });
    await app.close();
  };

  it('validates options the factory returns, naming the option', async () => {
    @Module({ imports: [ContextModule.forRoot(), CaslModule.forRootAsync({ useFactory: async () => ({ abilities, cacheSize: 0 }) })] })
    class BadCache {}
    await expect(boot(BadCache)).rejects.toThrow(CaslOptionsError);
    await expect(boot(BadCache)).rejects.toThrow(/"cacheSize"/);

    @Module({ imports: [ContextModule.forRoot(), CaslModule.forRootAsync({ useFactory: () => ({ abilities, resolveUser: 'sub' as never }) })] })
    class BadResolver {}
    await expect(boot(BadResolver)).rejects.toThrow(/"resolveUser" must be a function/);
  });

  it('honours the isGlobal extra: isGlobal: false keeps AbilityFactory to importers', async () => {
    @Module({ imports: [ContextModule.forRoot(), CaslModule.forRootAsync({ isGlobal: false, useFactory: () => ({ abilities }) }), FeatureModule] })
    class NotGlobal {}
    await expect(boot(NotGlobal)).rejects.toThrow(/AbilityFactory/);

    @Module({ imports: [ContextModule.forRoot(), CaslModule.forRootAsync({ isGlobal: true, useFactory: () => ({ abilities }) }), FeatureModule] })
    class Global {}
    await expect(boot(Global)).resolves.toBeUndefined();
  });
});
