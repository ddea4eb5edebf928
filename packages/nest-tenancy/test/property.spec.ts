import { ContextService } from '@acme/nest-context';
import { count } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantDb, TenantNotFoundException } from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { companies, type Schema } from './support/schema';

const WS_C = '0190a0b2-0000-7000-8000-00000000000c';
const WS_D = '0190a0b2-0000-7000-8000-00000000000d';
const WORKSPACES = [WS_A, WS_B, WS_C, WS_D];
const OPERATIONS = 400;
const CONCURRENCY = 8;

/** mulberry32: a tiny seeded PRNG, so a failing sequence can be replayed with its seed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.each([false, true])('random interleaved requests from four workspaces (rls: %s)', (rls) => {
  const seed = Number(process.env.TENANCY_SEED ?? Date.now() % 1_000_000);
  const random = prng(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const context = new ContextService();
  let fixture: TenancyFixture;
  let db: TenantDb<Schema>;
  const ownerOf = new Map<string, string>(); // every id ever created -> its workspace
  // Ids a delete was sent for. Without RLS the delete takes effect before its caller's next line
  // runs, so a concurrent 404 on that row may come before `ownerOf` forgets it.
  const deleting = new Set<string>();

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    const admin = new pg.Client({ connectionString: fixture.database.url });
    await admin.connect();
    await admin.query(`INSERT INTO workspaces (id, name) VALUES ('${WS_C}', 'C'), ('${WS_D}', 'D')`);
    await admin.end();
    db = new TenantDb(rls ? fixture.app : fixture.admin, { rls });
  });
  afterAll(() => fixture.close());

  const request = <T>(workspaceId: string, fn: () => PromiseLike<T>): Promise<T> =>
    context.run({ workspaceId, actor: { kind: 'User', id: 'u' } }, async () => (rls ? db.transaction(async () => await fn()) : await fn()));

  /** One random operation as workspace `ws`; asserts nothing crosses and returns a failure description or null. */
  async function operate(ws: string, step: number): Promise<string | null> {
    const known = [...ownerOf.keys()];
    const kind = known.length < 4 ? 'insert' : pick(['insert', 'list', 'find', 'update', 'delete', 'count']);
    const target = known.length ? pick(known) : undefined;
    const mine = target !== undefined && ownerOf.get(target) === ws;
    const outcome = await request(ws, async () => {
      switch (kind) {
        case 'insert': {
          const [row] = await db
            .insert(companies)
            .values({ name: `${ws}:${step}` })
            .returning();
          ownerOf.set(row!.id, ws);
          return row!.workspaceId === ws ? null : `insert stamped ${row!.workspaceId}`;
        }
        case 'list': {
          const rows = await db.select().from(companies);
          const foreign = rows.filter((r) => r.workspaceId !== ws);
          return foreign.length ? `list returned ${foreign.length} foreign rows` : null;
        }
        case 'count': {
          // One statement, one snapshot: $count as a subquery beside count(*) over the scoped rows.
          const [row] = await db.select({ total: db.$count(companies), visible: count() }).from(companies);
          return row!.total === row!.visible ? null : `$count ${row!.total} != visible ${row!.visible}`;
        }
        case 'find':
        case 'update':
        case 'delete': {
          if (kind === 'delete') deleting.add(target!);
          try {
            const row =
              kind === 'find'
                ? await db.findOneOrThrow(companies, target!)
                : kind === 'update'
                  ? await db.updateOrThrow(companies, target!, { name: `${ws}:${step}` })
                  : await db.deleteOrThrow(companies, target!);
            if (!mine) return `${kind} reached a row of another workspace`;
            if (kind === 'delete') ownerOf.delete(target!);
            return row.workspaceId === ws ? null : `${kind} returned a foreign row`;
          } catch (error) {
            if (!(error instanceof TenantNotFoundException)) throw error;
            // A 404 on an own row is fine only if a concurrent request deleted it.
            return mine && ownerOf.has(target!) && !deleting.has(target!) ? `${kind} of an own row gave 404` : null;
          }
        }
      }
      return null;
    });
    return outcome && `step ${step} (${kind} as ${ws.slice(-1)}): ${outcome}`;
  }

  it(`never lets a row cross a workspace (seed ${seed}, ${OPERATIONS} operations)`, async () => {
    const failures: string[] = [];
    for (let step = 0; step < OPERATIONS; step += CONCURRENCY) {
      const batch = Array.from({ length: CONCURRENCY }, (_, i) => operate(pick(WORKSPACES), step + i));
      for (const failure of await Promise.all(batch)) if (failure) failures.push(failure);
    }
    expect(failures, `replay with TENANCY_SEED=${seed}`).toEqual([]);

    // Final state, read past the tenancy layer: every row is still in the workspace that
    // created it and was only ever renamed by that workspace.
    const rows = await fixture.admin.select().from(companies);
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.name.split(':')[0], `row ${row.id}`).toBe(row.workspaceId);
      expect(ownerOf.get(row.id)).toBe(row.workspaceId);
    }
  });
});
