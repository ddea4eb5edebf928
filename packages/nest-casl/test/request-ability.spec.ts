import { ContextModule, ContextNotConfiguredError, ContextService, type AuthorizationDenied } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Get, Injectable, Module, Param, Query, type CanActivate } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbilityFactory,
  assertCan,
  CaslDenials,
  CaslModule,
  CheckAbility,
  PoliciesGuard,
  SkipAbilityCheck,
  subject,
  type AbilityUser,
  type CaslRequest,
} from '@acme/nest-casl';
import { abilities } from './support/abilities';

const WS = '0190a0b2-0000-7000-8000-000000000003';
const DEALS: Record<string, { stage: string; ownerId: string }> = { '1': { stage: 'New', ownerId: 'u1' } };

/** Stands in for tenancy: every request works in WS. */
@Injectable()
class InWorkspace implements CanActivate {
  constructor(private readonly context: ContextService) {}
  canActivate(): boolean {
    this.context.update({ workspaceId: WS });
    return true;
  }
}

/** `x-user: <id>:<Role>` */
const resolveUser = (request: CaslRequest): AbilityUser | null => {
  const value = (request.headers as Record<string, string | undefined>)['x-user'];
  if (!value) return null;
  const [id, role] = value.split(':');
  return { id: id!, roles: [role!] };
};

/** A service that reads the request's ability itself, after an await, as services do. */
@Injectable()
class DealsService {
  constructor(private readonly abilities: AbilityFactory) {}

  async read(id: string, delayMs: number) {
    await sleep(delayMs);
    const ability = this.abilities.requireCurrent();
    const deal = DEALS[id]!;
    assertCan(ability, 'Read', 'Deal', deal);
    return { canUpdate: ability.can('Update', subject('Deal', { ...deal })) };
  }

  rename(id: string) {
    assertCan(this.abilities.requireCurrent(), 'Update', 'Deal', DEALS[id]!);
    return { renamed: id };
  }
}

@Controller()
class DealsController {
  constructor(private readonly deals: DealsService) {}

  @Get('deals/:id')
  @CheckAbility('Read', 'Deal')
  read(@Param('id') id: string, @Query('delay') delay = '0') {
    return this.deals.read(id, Number(delay));
  }

  @Get('deals/:id/rename')
  @CheckAbility('Read', 'Deal')
  rename(@Param('id') id: string) {
    return this.deals.rename(id);
  }

  @Get('open')
  @SkipAbilityCheck()
  open() {
    return this.deals.rename('1');
  }
}

describe.each(HTTP_ADAPTERS)("services read the request's ability with requireCurrent() (%s)", (adapter) => {
  let http: HttpTestApp;
  const denied: AuthorizationDenied[] = [];
  const get = (path: string, user?: string) =>
    http.request('GET', path, { headers: user ? { 'x-user': user } : {} }).then(({ status, body }) => ({ status, body }));

  beforeAll(async () => {
    @Module({
      imports: [ContextModule.forRoot(), CaslModule.forRoot({ abilities, resolveUser })],
      controllers: [DealsController],
      providers: [DealsService, { provide: APP_GUARD, useClass: InWorkspace }, { provide: APP_GUARD, useClass: PoliciesGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
    http.app.get(CaslDenials).subscribe((event) => void denied.push(event));
  });
  afterAll(() => http?.close());

  it('each request sees its own ability, however its awaits interleave with other requests', async () => {
    // u1 owns deal 1 and may update it, u2 may not; the first request reads its ability last.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const user = i % 2 === 0 ? 'u1' : 'u2';
        return get(`/deals/1?delay=${(10 - i) * 5}`, `${user}:Operator`).then((r) => [user, r] as const);
      }),
    );
    for (const [user, result] of results) expect(result, user).toEqual({ status: 200, body: { canUpdate: user === 'u1' } });
  });

  it("assertCan on the service's ability names the route the guard built it for", async () => {
    denied.length = 0;
    expect(await get('/deals/1/rename', 'u2:Operator')).toMatchObject({ status: 403, body: { code: 'CASL_FORBIDDEN' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(denied).toMatchObject([{ kind: 'Forbidden', userId: 'u2', workspaceId: WS, handler: 'DealsController.rename' }]);
  });

  it('is a 401 CASL_UNAUTHENTICATED where the guard built no ability (a skipped route)', async () => {
    expect(await get('/open', 'u1:Admin')).toMatchObject({ status: 401, body: { code: 'CASL_UNAUTHENTICATED' } });
  });
});

describe('CaslModule without ContextModule.forRoot()', () => {
  it('fails bootstrap with CONTEXT_NOT_CONFIGURED, naming the fix', async () => {
    @Module({ imports: [CaslModule.forRoot({ abilities })] })
    class NoContext {}
    const boot = NestFactory.createApplicationContext(NoContext, { logger: false, abortOnError: false });
    await expect(boot).rejects.toThrow(ContextNotConfiguredError);
    await expect(boot).rejects.toThrow(/ContextModule\.forRoot\(\)/);
  });
});
