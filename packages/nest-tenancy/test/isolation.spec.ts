import { ContextService } from '@acme/nest-context';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  setWorkspaceSql,
  TenantContextMissingError,
  TenantDb,
  TenantNotFoundException,
  UnscopableQueryError,
  WorkspaceMismatchException,
} from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { companies, contacts, memberships, type Schema } from './support/schema';

const context = new ContextService();
const ids = {
  companyA: '0190a0b2-0000-7000-8000-0000000000a1',
  companyB: '0190a0b2-0000-7000-8000-0000000000b1',
  contactA: '0190a0b2-0000-7000-8000-0000000000a2',
  contactB: '0190a0b2-0000-7000-8000-0000000000b2',
};

describe.each([
  { mode: 'app filter only (connection bypasses RLS)', rls: false },
  { mode: 'app filter + RLS (runtime role)', rls: true },
])('tenantDb isolation: $mode', ({ rls }) => {
  let fixture: TenancyFixture;
  let db: TenantDb<Schema>;

  /** Runs `fn` as a request of `workspaceId` would: in its context, and with RLS in its transaction. */
  const as = <T>(workspaceId: string, fn: () => PromiseLike<T>): Promise<T> =>
    context.run({ workspaceId, actor: { kind: 'User', id: 'u' } }, async () => (rls ? db.transaction(async () => await fn()) : await fn()));

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    db = new TenantDb(rls ? fixture.app : fixture.admin, { rls });
  });
  afterAll(() => fixture.close());

  beforeEach(async () => {
    await fixture.admin.delete(contacts);
    await fixture.admin.delete(companies);
    await fixture.admin.insert(companies).values([
      { id: ids.companyA, workspaceId: WS_A, name: 'Same Name', employees: 10 },
      { id: ids.companyB, workspaceId: WS_B, name: 'Same Name', employees: 20 },
    ]);
    await fixture.admin.insert(contacts).values([
      { id: ids.contactA, workspaceId: WS_A, companyId: ids.companyA, name: 'Ann' },
      { id: ids.contactB, workspaceId: WS_B, companyId: ids.companyB, name: 'Bob' },
    ]);
  });

  describe('reads return only own rows', () => {
    it('select', async () => {
      const rows = await as(WS_A, () => db.select().from(companies));
      expect(rows.map((r) => r.id)).toEqual([ids.companyA]);
    });

    it('select with a where of its own (the filter is added, not replaced)', async () => {
      const rows = await as(WS_A, () => db.select().from(companies).where(eq(companies.name, 'Same Name')));
      expect(rows.map((r) => r.id)).toEqual([ids.companyA]);
    });

    it('join: the joined side is scoped (left join on a foreign key of the other workspace yields null)', async () => {
      const rows = await as(WS_A, () =>
        db
          .select({ contact: contacts.id, company: companies.id })
          .from(contacts)
          .leftJoin(companies, sql`true`),
      );
      expect(rows).toEqual([{ contact: ids.contactA, company: ids.companyA }]);
    });

    it('join: the base side is scoped (inner join from companies)', async () => {
      const rows = await as(WS_A, () =>
        db.select({ company: companies.id, contact: contacts.id }).from(companies).innerJoin(contacts, eq(contacts.companyId, companies.id)),
      );
      expect(rows).toEqual([{ company: ids.companyA, contact: ids.contactA }]);
    });

    it('aliased tables and cross joins', async () => {
      const other = alias(companies, 'other');
      const rows = await as(WS_A, () => db.select({ a: companies.id, b: other.id }).from(companies).crossJoin(other));
      expect(rows).toEqual([{ a: ids.companyA, b: ids.companyA }]);
    });

    it('relational query with nested with, both directions', async () => {
      const companiesWithContacts = await as(WS_A, () => db.query.companies.findMany({ with: { contacts: true } }));
      expect(companiesWithContacts).toHaveLength(1);
      expect(companiesWithContacts[0]!.contacts.map((c) => c.id)).toEqual([ids.contactA]);

      const contactsWithCompany = await as(WS_A, () => db.query.contacts.findMany({ with: { company: { with: { contacts: true } } } }));
      expect(contactsWithCompany.map((c) => [c.id, c.company.id, c.company.contacts.length])).toEqual([[ids.contactA, ids.companyA, 1]]);
      const foreign = await as(WS_A, () => db.query.companies.findFirst({ where: eq(companies.id, ids.companyB) }));
      expect(foreign).toBeUndefined();
    });

    it('count and aggregates', async () => {
      expect(await as(WS_A, () => db.$count(companies))).toBe(1);
      const [totals] = await as(WS_A, () => db.select({ n: count(), employees: sql<number>`sum(${companies.employees})::int` }).from(companies));
      expect(totals).toEqual({ n: 1, employees: 10 });
    });

    it('subqueries in FROM and in WHERE', async () => {
      const inner = await as(WS_A, async () => {
        const sq = db.select({ id: companies.id }).from(companies).as('sq');
        return db.select().from(sq);
      });
      expect(inner).toEqual([{ id: ids.companyA }]);
      const viaIn = await as(WS_A, () =>
        db
          .select({ id: companies.id })
          .from(companies)
          .where(inArray(companies.id, db.select({ id: contacts.companyId }).from(contacts))),
      );
      expect(viaIn).toEqual([{ id: ids.companyA }]);
    });

    it('findOneOrThrow: own row found, the other workspace’s row is a 404, a malformed id too', async () => {
      expect((await as(WS_A, () => db.findOneOrThrow(companies, ids.companyA))).id).toBe(ids.companyA);
      await expect(as(WS_A, () => db.findOneOrThrow(companies, ids.companyB))).rejects.toBeInstanceOf(TenantNotFoundException);
      await expect(as(WS_A, () => db.findOneOrThrow(companies, 'not-a-uuid'))).rejects.toBeInstanceOf(TenantNotFoundException);
    });

    it('a table declared out of tenancy is not filtered', async () => {
      await fixture.admin.insert(memberships).values([
        { workspaceId: WS_A, userId: 'u1' },
        { workspaceId: WS_B, userId: 'u1' },
      ]);
      const rows = await as(WS_A, () => db.select().from(memberships));
      expect(rows).toHaveLength(2);
      await fixture.admin.delete(memberships);
    });
  });

  describe('writes to the other workspace change nothing', () => {
    const stateOfB = async () => ({
      companies: await fixture.admin.select().from(companies).where(eq(companies.workspaceId, WS_B)),
      contacts: await fixture.admin.select().from(contacts).where(eq(contacts.workspaceId, WS_B)),
    });

    it('update by id of the other workspace: 0 rows, and updateOrThrow is a 404', async () => {
      const before = await stateOfB();
      const updated = await as(WS_A, () => db.update(companies).set({ name: 'Hacked' }).where(eq(companies.id, ids.companyB)).returning());
      expect(updated).toEqual([]);
      await expect(as(WS_A, () => db.updateOrThrow(companies, ids.companyB, { name: 'Hacked' }))).rejects.toBeInstanceOf(TenantNotFoundException);
      expect(await stateOfB()).toEqual(before);
    });

    it('delete by id of the other workspace: 0 rows, and deleteOrThrow is a 404', async () => {
      const before = await stateOfB();
      expect(await as(WS_A, () => db.delete(contacts).where(eq(contacts.id, ids.contactB)).returning())).toEqual([]);
      await expect(as(WS_A, () => db.deleteOrThrow(contacts, ids.contactB))).rejects.toBeInstanceOf(TenantNotFoundException);
      expect(await stateOfB()).toEqual(before);
    });

    it('an unfiltered bulk update or delete touches only own rows', async () => {
      const before = await stateOfB();
      await as(WS_A, () => db.update(companies).set({ employees: 0 }));
      await as(WS_A, () => db.delete(contacts));
      expect(await stateOfB()).toEqual(before);
      expect(await fixture.admin.select().from(contacts).where(eq(contacts.workspaceId, WS_A))).toEqual([]);
    });

    it('insert with the other workspace_id is rejected and inserts nothing', async () => {
      await expect(as(WS_A, () => db.insert(companies).values({ workspaceId: WS_B, name: 'Planted' }))).rejects.toBeInstanceOf(WorkspaceMismatchException);
      await expect(as(WS_A, () => db.insert(companies).values([{ name: 'Ok' }, { workspaceId: WS_B, name: 'Planted' }]))).rejects.toBeInstanceOf(
        WorkspaceMismatchException,
      );
      expect(await fixture.admin.select().from(companies).where(eq(companies.name, 'Planted'))).toEqual([]);
      expect(await fixture.admin.select().from(companies).where(eq(companies.name, 'Ok'))).toEqual([]);
    });

    it('update that moves a row to another workspace is rejected', async () => {
      await expect(as(WS_A, () => db.update(companies).set({ workspaceId: WS_B }).where(eq(companies.id, ids.companyA)))).rejects.toBeInstanceOf(
        WorkspaceMismatchException,
      );
      const [row] = await fixture.admin.select().from(companies).where(eq(companies.id, ids.companyA));
      expect(row!.workspaceId).toBe(WS_A);
    });

    it("upsert on the other workspace's primary key updates nothing, with or without a where of its own", async () => {
      const before = await stateOfB();
      const upsert = (options: { setWhere?: ReturnType<typeof sql> }) =>
        as(WS_A, () =>
          db
            .insert(companies)
            .values({ id: ids.companyB, name: 'Hijacked', employees: 1 })
            .onConflictDoUpdate({ target: companies.id, set: { name: 'Hijacked' }, ...options })
            .returning(),
        );
      expect(await upsert({})).toEqual([]);
      expect(await upsert({ setWhere: sql`true` })).toEqual([]);
      expect(await stateOfB()).toEqual(before);
    });

    it('upsert on an own row updates it, and keeps its own where', async () => {
      const upsert = (name: string, minEmployees: number) =>
        as(WS_A, () =>
          db
            .insert(companies)
            .values({ id: ids.companyA, name })
            .onConflictDoUpdate({ target: companies.id, set: { name }, setWhere: sql`${companies.employees} >= ${minEmployees}` })
            .returning({ name: companies.name }),
        );
      expect(await upsert('Renamed', 5)).toEqual([{ name: 'Renamed' }]);
      expect(await upsert('Not applied', 50)).toEqual([]);
      const [row] = await fixture.admin.select().from(companies).where(eq(companies.id, ids.companyA));
      expect(row!.name).toBe('Renamed');
    });

    it('upsert that moves the conflicting row to another workspace is rejected', async () => {
      await expect(
        as(WS_A, () =>
          db
            .insert(companies)
            .values({ id: ids.companyA, name: 'x' })
            .onConflictDoUpdate({ target: companies.id, set: { workspaceId: WS_B } }),
        ),
      ).rejects.toBeInstanceOf(WorkspaceMismatchException);
      await expect(
        as(WS_A, () =>
          db
            .insert(companies)
            .values({ id: ids.companyA, name: 'x' })
            .onConflictDoUpdate({ target: companies.id, set: { workspaceId: sql`excluded.workspace_id` } }),
        ),
      ).rejects.toBeInstanceOf(WorkspaceMismatchException);
    });

    it('prepared statements are refused: they would keep the workspace they were built in', async () => {
      await expect(as(WS_A, async () => db.select().from(companies).prepare('companies_of_a'))).rejects.toBeInstanceOf(UnscopableQueryError);
      await expect(as(WS_A, async () => db.query.companies.findMany().prepare('companies_of_a'))).rejects.toBeInstanceOf(UnscopableQueryError);
    });

    it('INSERT ... SELECT into a tenant table is refused (it cannot be stamped)', async () => {
      await expect(
        as(WS_A, () =>
          db
            .insert(companies)
            .select(
              db
                .select({ id: sql`gen_random_uuid()`.as('id'), workspaceId: companies.workspaceId, name: companies.name, employees: companies.employees })
                .from(companies),
            ),
        ),
      ).rejects.toBeInstanceOf(UnscopableQueryError);
    });
  });

  it('stamps inserts with the current workspace', async () => {
    const [row] = await as(WS_A, () => db.insert(companies).values({ name: 'New' }).returning());
    expect(row!.workspaceId).toBe(WS_A);
    const [same] = await as(WS_A, () => db.insert(companies).values({ name: 'Explicit', workspaceId: WS_A }).returning());
    expect(same!.workspaceId).toBe(WS_A);
  });

  it('fails closed: no workspace in context, no query', async () => {
    await expect(async () => db.select().from(companies)).rejects.toBeInstanceOf(TenantContextMissingError);
    await context.run({ actor: { kind: 'System', id: null } }, async () => {
      await expect(async () => db.select().from(companies)).rejects.toBeInstanceOf(TenantContextMissingError);
      await expect(async () => db.insert(companies).values({ name: 'x' })).rejects.toBeInstanceOf(TenantContextMissingError);
      await expect(async () => db.execute(sql`select 1`)).rejects.toBeInstanceOf(TenantContextMissingError);
    });
  });

  it('transaction: rolls back on error, and the callback’s queries are scoped', async () => {
    await expect(
      as(WS_A, () =>
        db.transaction(async (tx) => {
          await tx.insert(companies).values({ name: 'Rolled Back' });
          expect(await tx.$count(companies)).toBe(2);
          throw new Error('boom');
        }),
      ),
    ).rejects.toThrow('boom');
    expect(await fixture.admin.select().from(companies).where(eq(companies.name, 'Rolled Back'))).toEqual([]);
  });

  it(rls ? 'raw SQL through the RLS path sees only own rows' : 'raw SQL is not rewritten without RLS (documented)', async () => {
    const result = await as(WS_A, () => db.execute(sql`select workspace_id from companies order by workspace_id`));
    const seen = result.rows.map((r) => r.workspace_id);
    expect(seen).toEqual(rls ? [WS_A] : [WS_A, WS_B]);
  });

  it.runIf(rls)('RLS alone (no app filter) stops the runtime role from reading or writing another workspace', async () => {
    await context.run({ workspaceId: WS_A, actor: { kind: 'User', id: 'u' } }, () =>
      db.transaction(async () => {
        // Bypass the app-level filter deliberately: only the database policy is left.
        const seen = await db.execute(sql`select id from companies where workspace_id = ${WS_B}`);
        expect(seen.rows).toEqual([]);
        const planted = await db.execute(sql`insert into companies (workspace_id, name) values (${WS_B}, 'Planted')`).catch((e) => e);
        expect(String(planted.cause?.message)).toMatch(/row-level security/);
      }),
    );
    const outside = await fixture.app.select().from(companies);
    expect(outside).toEqual([]); // no workspace set: the policy matches nothing

    // The runtime role's plain Drizzle database (no app filter) with the workspace set: a where
    // that asks for both workspaces gets exactly the own row. Not nothing (a policy that hid
    // every row would pass the checks above), not the other workspace's.
    const bothWorkspaces = and(eq(companies.name, 'Same Name'), inArray(companies.workspaceId, [WS_A, WS_B]));
    const own = await fixture.app.transaction(async (tx) => {
      await tx.execute(setWorkspaceSql(WS_A));
      return tx.select({ id: companies.id, workspaceId: companies.workspaceId }).from(companies).where(bothWorkspaces);
    });
    expect(own).toEqual([{ id: ids.companyA, workspaceId: WS_A }]);
    expect(await fixture.admin.select({ id: companies.id }).from(companies).where(bothWorkspaces)).toHaveLength(2);
  });
});
