import { ContextModule } from '@acme/nest-context';
import { type Membership, TenancyGuard, TenancyMembershipCache, TenancyModule, TenancyOptionsError, type TenancyModuleOptions } from '@acme/nest-tenancy';
import { bearer, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { FakeJwtGuard } from './support/fake-jwt.guard';

@Controller()
class WhoController {
  @Get('roles')
  roles(@Req() request: { user?: { roles?: string[] } }) {
    const roles = [...(request.user?.roles ?? [])];
    // A handler that changes what it was given must not change what the next request gets.
    request.user!.roles!.push('Changed By Handler');
    return { roles };
  }
}

/** The "membership table" isMember reads, and how often it was read. */
class Directory {
  readonly roles = new Map<string, string>([[`user-1:${WS_A}`, 'Admin']]);
  calls = 0;
  /** Resolves the next isMember call when set (to hold a load in flight). */
  gate?: Promise<void>;

  isMember: NonNullable<TenancyModuleOptions['isMember']> = async ({ userId, workspaceId }): Promise<boolean | Membership> => {
    this.calls++;
    const role = this.roles.get(`${userId}:${workspaceId}`);
    await this.gate;
    return role ? { claims: { roles: [role] } } : false;
  };
}

const as = (userId: string, workspaceId = WS_A) => bearer({ sub: userId, workspace_id: workspaceId, roles: ['Token Role'] });

describe('membershipCache', () => {
  let fixture: TenancyFixture;
  const apps: HttpTestApp[] = [];

  async function start(membershipCache: TenancyModuleOptions['membershipCache'], isMember: TenancyModuleOptions['isMember']) {
    @Module({
      imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: fixture.admin, isMember, membershipCache })],
      controllers: [WhoController],
      providers: [
        { provide: APP_GUARD, useClass: FakeJwtGuard },
        { provide: APP_GUARD, useClass: TenancyGuard },
      ],
    })
    class AppModule {}
    const http = await startHttpApp(AppModule, 'express');
    apps.push(http);
    const get = (headers: Record<string, string>) => http.request('GET', '/roles', { headers }).then(({ status, body }) => ({ status, body }));
    return { http, get, cache: http.app.get(TenancyMembershipCache) };
  }

  beforeAll(async () => {
    fixture = await createTenancyFixture();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it("serves a member's answer from the cache and sets its claims on every request, whatever the token or the last handler did", async () => {
    const directory = new Directory();
    const { get } = await start({}, directory.isMember);
    for (let i = 0; i < 3; i++) expect(await get(as('user-1'))).toEqual({ status: 200, body: { roles: ['Admin'] } });
    expect(directory.calls).toBe(1);
  });

  it('never caches a refusal: a member added after a 404 gets in on the next request', async () => {
    const directory = new Directory();
    const { get } = await start({}, directory.isMember);
    expect((await get(as('user-2'))).status).toBe(404);
    directory.roles.set(`user-2:${WS_A}`, 'Viewer');
    expect(await get(as('user-2'))).toEqual({ status: 200, body: { roles: ['Viewer'] } });
  });

  it('invalidate forgets by user, by workspace or all: a removed member is refused on the next request', async () => {
    const directory = new Directory();
    directory.roles.set(`user-1:${WS_B}`, 'Viewer');
    const { get, cache } = await start({}, directory.isMember);
    await get(as('user-1'));
    await get(as('user-1', WS_B));
    expect(cache.size).toBe(2);
    directory.roles.delete(`user-1:${WS_A}`);
    expect((await get(as('user-1'))).status).toBe(200); // cached: not yet told
    cache.invalidate({ userId: 'user-1', workspaceId: WS_A.toUpperCase() });
    expect(cache.size).toBe(1);
    expect((await get(as('user-1'))).status).toBe(404);
    cache.invalidate({ workspaceId: WS_B });
    expect(cache.size).toBe(0);
  });

  it('an answer whose isMember call overlapped an invalidation is served once, not cached', async () => {
    const directory = new Directory();
    const { get, cache } = await start({}, directory.isMember);
    let release!: () => void;
    directory.gate = new Promise((resolve) => (release = resolve));
    const inFlight = get(as('user-1'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    cache.invalidate({ userId: 'user-1' });
    release();
    directory.gate = undefined;
    expect((await inFlight).status).toBe(200);
    expect(cache.size).toBe(0);
    await get(as('user-1'));
    expect(directory.calls).toBe(2);
  });

  it('an answer lives at most ttlMs; declared replicated without a bus, at most fallbackTtlMs', async () => {
    const directory = new Directory();
    const { get } = await start({ ttlMs: 300, fallbackTtlMs: 60_000 }, directory.isMember);
    await get(as('user-1'));
    await get(as('user-1'));
    expect(directory.calls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 320));
    await get(as('user-1'));
    expect(directory.calls).toBe(2);

    const replicated = new Directory();
    const other = await start({ fallbackTtlMs: 300, replicated: true }, replicated.isMember);
    await other.get(as('user-1'));
    await other.get(as('user-1'));
    expect(replicated.calls).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 320));
    await other.get(as('user-1'));
    expect(replicated.calls).toBe(2);
  });

  it('keeps at most maxEntries answers', async () => {
    const directory = new Directory();
    for (let i = 0; i < 5; i++) directory.roles.set(`u${i}:${WS_A}`, 'Viewer');
    const { get, cache } = await start({ maxEntries: 3 }, directory.isMember);
    for (let i = 0; i < 5; i++) await get(as(`u${i}`));
    expect(cache.size).toBe(3);
  });

  it('refuses an isMember that changes the request while the cache is on (its hits would skip the change)', async () => {
    const { get } = await start({}, async ({ request }) => {
      request.user!.roles = ['Admin'];
      return true;
    });
    expect((await get(as('user-1'))).status).toBe(500);
  });

  it('refuses invalid options at bootstrap, naming them', async () => {
    const refused: [TenancyModuleOptions['membershipCache'], TenancyModuleOptions['isMember'], RegExp][] = [
      [{}, undefined, /"membershipCache" caches the answers of "isMember"/],
      [{ ttlMs: 0 }, () => true, /"membershipCache.ttlMs" must be a positive whole number/],
      [{ maxEntries: 1.5 }, () => true, /"membershipCache.maxEntries"/],
      [{ replicated: 'yes' as never }, () => true, /"membershipCache.replicated" must be true or false/],
      ['on' as never, () => true, /"membershipCache" must be an object/],
    ];
    for (const [membershipCache, isMember, message] of refused) {
      const started = start(membershipCache, isMember);
      await expect(started).rejects.toThrow(TenancyOptionsError);
      await expect(started).rejects.toThrow(message);
    }
  });
});
