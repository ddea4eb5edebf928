import { InvalidationBusModule, RedisInvalidationBus } from '@acme/nest-cache';
import { AbilityFactory, CaslModule, CheckAbility, defineAbilities, PoliciesGuard } from '@acme/nest-casl';
import { ContextModule, runInCommitScope } from '@acme/nest-context';
import { TenancyGuard, TenancyMembershipCache, TenancyModule, type Membership } from '@acme/nest-tenancy';
import { bearer, claimsFromBearer, startHttpApp, type HttpTestApp } from '@acme/nest-testing';
import { Controller, Get, Injectable, Module, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restartableRedis, type RestartableRedis } from './support/restartable-redis';

// Two replicas of one app in this process: each its own Nest app, bus, AbilityFactory, guards and
// caches, on one Redis; what they read (memberships, grants) is one shared source, as a database.
const WS = '0190a0b2-0000-7000-8000-00000000000a';
const FALLBACK_TTL_MS = 1_000;
const CHANNEL = 'cross-replica:invalidation';

/** The source of truth both replicas read (a database stands here), and how often each was read. */
const source = {
  roles: new Map<string, string>(),
  /** Users whose role grants 'Read Deal' (a permission that changes server-side). */
  grants: new Set<string>(),
  reads: 0,
};

const abilities = defineAbilities<'Deal', 'Member'>({
  Member: ({ can }, { user }) => {
    if (source.grants.has(user.id)) can('Read', 'Deal');
  },
});

@Injectable()
class FakeJwtGuard implements CanActivate {
  canActivate(execution: ExecutionContext): boolean {
    const request = execution.switchToHttp().getRequest();
    request.user = claimsFromBearer(request.headers.authorization);
    return true;
  }
}

@Controller()
class DealsController {
  @Get('deals')
  @CheckAbility('Read', 'Deal')
  list() {
    return [];
  }
}

interface Replica {
  http: HttpTestApp;
  abilities: AbilityFactory;
  memberships: TenancyMembershipCache;
  bus: RedisInvalidationBus;
  get(userId: string): Promise<number>;
}

async function startReplica(redisUrl: string): Promise<Replica> {
  // Never connected: every membership comes from `source` through isMember.
  const db = drizzle(new pg.Pool({ connectionString: 'postgres://unused@127.0.0.1:1/unused' }));
  @Module({
    imports: [
      ContextModule.forRoot(),
      InvalidationBusModule.forRoot({ connection: { url: redisUrl }, channel: CHANNEL, heartbeatMs: 100, heartbeatTimeoutMs: 400 }),
      TenancyModule.forRoot({
        db,
        isMember: async ({ userId, workspaceId }): Promise<boolean | Membership> => {
          source.reads++;
          const role = source.roles.get(`${userId}:${workspaceId}`);
          return role ? { claims: { roles: [role] } } : false;
        },
        membershipCache: { fallbackTtlMs: FALLBACK_TTL_MS },
      }),
      CaslModule.forRoot({ abilities, cache: { fallbackTtlMs: FALLBACK_TTL_MS } }),
    ],
    controllers: [DealsController],
    providers: [
      { provide: APP_GUARD, useClass: FakeJwtGuard },
      { provide: APP_GUARD, useClass: TenancyGuard },
      { provide: APP_GUARD, useClass: PoliciesGuard },
    ],
  })
  class AppModule {}
  const http = await startHttpApp(AppModule, 'express');
  return {
    http,
    abilities: http.app.get(AbilityFactory),
    memberships: http.app.get(TenancyMembershipCache),
    bus: http.app.get(RedisInvalidationBus),
    get: async (userId) => (await http.request('GET', '/deals', { headers: bearer({ sub: userId, workspace_id: WS }) })).status,
  };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls `probe` until it answers `expected`; returns when (Date.now()) it first did. */
async function firstTime<T>(probe: () => Promise<T>, expected: T, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await probe()) === expected) return Date.now();
    if (Date.now() > deadline) throw new Error(`still not ${String(expected)} after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('caches across replicas (two apps on one Redis)', () => {
  let redis: RestartableRedis;
  let a: Replica;
  let b: Replica;
  let user = 0;
  /** A user of its own for each test: a member with the grant. */
  const newMember = () => {
    const id = `user-${++user}`;
    source.roles.set(`${id}:${WS}`, 'Member');
    source.grants.add(id);
    return id;
  };

  beforeAll(async () => {
    redis = await restartableRedis();
    [a, b] = await Promise.all([startReplica(redis.url), startReplica(redis.url)]);
  });
  afterEach(async () => {
    if (!a.bus.healthy || !b.bus.healthy) {
      await redis.start().catch(() => undefined);
      await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy again');
    }
  });
  afterAll(async () => {
    await a?.http.close();
    await b?.http.close();
    await redis?.stop();
  });

  it('a member removed through replica A is refused on their next request through replica B', async () => {
    await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy');
    const id = newMember();
    expect([await a.get(id), await b.get(id), await b.get(id)]).toEqual([200, 200, 200]);
    const reads = source.reads;
    expect(await b.get(id)).toBe(200);
    expect(source.reads).toBe(reads); // B serves it from its cache

    // What MembersService does: delete the membership, invalidate, inside the request's transaction.
    await runInCommitScope(async () => {
      source.roles.delete(`${id}:${WS}`);
      a.memberships.invalidate({ userId: id, workspaceId: WS });
    });
    expect(await b.get(id)).toBe(404);
    expect(await a.get(id)).toBe(404);
  });

  it("a permission change invalidated on A: B's next createFor builds the ability again", async () => {
    await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy');
    const id = newMember();
    const user = { id, roles: ['Member'] };
    expect(b.abilities.createFor(user, WS).can('Read', 'Deal')).toBe(true);
    expect(b.abilities.createFor(user, WS)).toBe(b.abilities.createFor(user, WS)); // cached
    await runInCommitScope(async () => {
      source.grants.delete(id);
      a.abilities.invalidate({ userId: id });
    });
    // The message crosses Redis: B drops the ability as soon as it arrives (bounded wait, not one tick).
    await until(() => !b.abilities.createFor(user, WS).can('Read', 'Deal'), "B drops the member's ability", 2_000);
    // Through HTTP too: B's PoliciesGuard answers 403 on the next request.
    expect(await b.get(id)).toBe(403);
  });

  it('Redis down: a missed removal costs at most fallbackTtlMs on the other replica, never longer', async () => {
    await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy');
    const id = newMember();
    const loadedBefore = Date.now();
    expect(await b.get(id)).toBe(200); // membership and ability cached on B
    const loadedAfter = Date.now();

    await redis.stop();
    await until(() => !b.bus.healthy, 'B notices the outage', 2_000);
    source.roles.delete(`${id}:${WS}`);
    source.grants.delete(id);
    a.memberships.invalidate({ userId: id, workspaceId: WS }); // its publish waits for Redis: B does not hear it
    a.abilities.invalidate({ userId: id });

    const refusedAt = await firstTime(() => b.get(id), 404, FALLBACK_TTL_MS * 3);
    expect(refusedAt - loadedAfter).toBeLessThanOrEqual(FALLBACK_TTL_MS + 100);
    // ... and it was the fallback that ended it, not an early miss.
    expect(refusedAt - loadedBefore).toBeGreaterThanOrEqual(FALLBACK_TTL_MS - 100);
  });

  it('after an outage, entries loaded before it live at most fallbackTtlMs (messages of the outage may be lost)', async () => {
    await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy');
    const id = newMember();
    const user = { id, roles: ['Member'] };
    const before = b.abilities.createFor(user, WS);
    expect(await b.get(id)).toBe(200);
    const reads = source.reads;
    await redis.stop();
    await until(() => !b.bus.healthy, 'B notices the outage', 2_000);
    await redis.start();
    await until(() => a.bus.healthy && b.bus.healthy, 'both buses are healthy again');
    await new Promise((resolve) => setTimeout(resolve, FALLBACK_TTL_MS + 50));
    expect(b.abilities.createFor(user, WS)).not.toBe(before);
    expect(await b.get(id)).toBe(200);
    expect(source.reads).toBe(reads + 1); // asked isMember again

    // Entries loaded while healthy are trusted past fallbackTtlMs again.
    const after = b.abilities.createFor(user, WS);
    await new Promise((resolve) => setTimeout(resolve, FALLBACK_TTL_MS + 50));
    expect(b.abilities.createFor(user, WS)).toBe(after);
    expect(await b.get(id)).toBe(200);
    expect(source.reads).toBe(reads + 1);
  });
});
