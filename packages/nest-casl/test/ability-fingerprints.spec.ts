import { ABILITY_FINGERPRINTS, ContextModule, ContextService, type AbilityFingerprints } from '@acme/nest-context';
import { HTTP_ADAPTERS, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Get, Injectable, Module, type CanActivate, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, ModuleRef } from '@nestjs/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaslModule, CheckAbility, PoliciesGuard, SkipAbilityCheck, type AbilityUser, type CaslRequest } from '@acme/nest-casl';
import { abilities } from './support/abilities';

const WS = '0190a0b2-0000-7000-8000-000000000004';

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

/** Finds the contract as a package that only knows nest-context does (@acme/nest-cache). */
@Injectable()
class CacheLike implements OnModuleInit {
  fingerprints!: AbilityFingerprints;
  constructor(private readonly moduleRef: ModuleRef) {}
  onModuleInit() {
    this.fingerprints = this.moduleRef.get<AbilityFingerprints>(ABILITY_FINGERPRINTS, { strict: false });
  }
}

@Controller()
class FingerprintsController {
  constructor(private readonly cache: CacheLike) {}

  @Get('deals')
  @CheckAbility('Read', 'Deal')
  async deals() {
    return { deal: await this.cache.fingerprints.forSubject('Deal'), company: await this.cache.fingerprints.forSubject('Company') };
  }

  @Get('open')
  @SkipAbilityCheck()
  async open() {
    return { deal: await this.cache.fingerprints.forSubject('Deal') };
  }
}

describe.each(HTTP_ADAPTERS)('ABILITY_FINGERPRINTS: the caller’s rules on a subject, as a digest (%s)', (adapter) => {
  let http: HttpTestApp;
  const get = async (path: string, user?: string) => {
    const { status, body } = await http.request('GET', path, { headers: user ? { 'x-user': user } : {} });
    expect(status, JSON.stringify(body)).toBe(200);
    return body as { deal: string | null; company?: string | null };
  };

  beforeAll(async () => {
    @Module({
      imports: [ContextModule.forRoot(), CaslModule.forRoot({ abilities, resolveUser })],
      controllers: [FingerprintsController],
      providers: [CacheLike, { provide: APP_GUARD, useClass: InWorkspace }, { provide: APP_GUARD, useClass: PoliciesGuard }],
    })
    class AppModule {}
    http = await startHttpApp(AppModule, adapter);
  });
  afterAll(() => http?.close());

  it('two users with the same role and no per-user condition get the same one', async () => {
    const [u1, u2] = await Promise.all([get('/deals', 'u1:Viewer'), get('/deals', 'u2:Viewer')]);
    expect(u1.deal).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(u2).toEqual(u1);
  });

  it('a rule with { ownerId: user.id } tells them apart on that subject only', async () => {
    const [u1, u2] = await Promise.all([get('/deals', 'u1:Operator'), get('/deals', 'u2:Operator')]);
    expect(u1.deal).not.toBe(u2.deal);
    expect(u1.company).toBe(u2.company);
    expect(await get('/deals', 'u1:Operator')).toEqual(u1); // stable
  });

  it('different roles differ', async () => {
    const [viewer, admin] = await Promise.all([get('/deals', 'u1:Viewer'), get('/deals', 'u1:Admin')]);
    expect(viewer.deal).not.toBe(admin.deal);
  });

  it('null without a caller: an anonymous request, or a route the guard skipped', async () => {
    expect(await get('/open')).toEqual({ deal: null });
    expect(await get('/open', 'u1:Admin')).toEqual({ deal: null });
  });

  it('null outside any request (a job, a system task)', async () => {
    const fingerprints = http.app.get<AbilityFingerprints>(ABILITY_FINGERPRINTS, { strict: false });
    expect(await fingerprints.forSubject('Deal')).toBeNull();
    await new ContextService().run({ workspaceId: WS, actor: { kind: 'Job', id: null } }, async () => {
      expect(await fingerprints.forSubject('Deal')).toBeNull();
    });
  });
});
