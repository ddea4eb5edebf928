import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { eq, getTableName, is, relations, sql, Table, type Column, type SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { alias, bigint, bigserial, integer, PgDialect, pgTable, serial, smallint, smallserial, text, uuid } from 'drizzle-orm/pg-core';
import { npmVersion } from 'drizzle-orm/version';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  boundValue,
  dialectOf,
  DIALECT_BUILD_METHODS,
  fullSchemaOf,
  keyKindOf,
  markTable,
  nodePgPoolOf,
  rebuildDatabase,
  refuseNamedPrepare,
  scopedDialect,
  SUPPORTED_DRIZZLE,
  tableMark,
  writtenValue,
  type QueryScope,
} from '../src/drizzle-internals';
import { DrizzleUnsupportedError } from '../src/tenancy.errors';

/**
 * One test per Drizzle internal that src/drizzle-internals.ts relies on. `pnpm test:drizzle-range`
 * runs them on the lowest supported drizzle-orm too. A failure here means drizzle-orm changed
 * that internal: adapt src/drizzle-internals.ts (and only it), or narrow the peer range.
 */
const CHANGED = (what: string) => `drizzle-orm ${npmVersion} changed ${what}: adapt src/drizzle-internals.ts`;

const companies = pgTable('companies', { id: uuid('id').primaryKey(), workspaceId: uuid('workspace_id').notNull(), name: text('name').notNull() });
const contacts = pgTable('contacts', { id: uuid('id').primaryKey(), workspaceId: uuid('workspace_id').notNull(), companyId: uuid('company_id').notNull() });
const shared = pgTable('shared', { id: integer('id').primaryKey(), label: text('label') });
const companiesRelations = relations(companies, ({ many }) => ({ contacts: many(contacts) }));
const contactsRelations = relations(contacts, ({ one }) => ({ company: one(companies, { fields: [contacts.companyId], references: [companies.id] }) }));
const schema = { companies, contacts, shared, companiesRelations, contactsRelations };

const W = '0190a0b2-0000-7000-8000-00000000000a';
const workspaceColumnOf = (source: unknown): Column | undefined =>
  is(source, Table) ? (source as unknown as Record<string, Column | undefined>)['workspaceId'] : undefined;

/** A scope that filters every table with a `workspaceId` column by W and records what it was asked. */
function recordingScope() {
  const seen = {
    filters: [] as string[],
    inserts: [] as { table: string; rows: Record<string, unknown>[]; fromSelect: boolean }[],
    sets: [] as Record<string, unknown>[],
    relational: [] as string[],
  };
  const scope: QueryScope = {
    filter(source, operation) {
      const column = workspaceColumnOf(source);
      if (!column) return undefined;
      seen.filters.push(`${operation}:${getTableName(source as Table)}`);
      return eq(column, W);
    },
    insert(table, rows, fromSelect) {
      seen.inserts.push({ table: getTableName(table), rows, fromSelect });
      const column = workspaceColumnOf(table);
      if (!column || fromSelect) return undefined;
      return { rows: rows.map((row) => ({ ...row, workspaceId: boundValue(W, column) })), conflictScope: eq(column, W) };
    },
    checkSet(_table, set) {
      seen.sets.push(set);
    },
    relational(table, columns) {
      seen.relational.push(getTableName(table));
      return columns['workspaceId'] ? eq(columns['workspaceId'], W) : undefined;
    },
  };
  return { seen, scope };
}

describe('the Drizzle internals nest-tenancy relies on', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let statements: string[] = [];
  let db: NodePgDatabase<typeof schema>;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'drizzle_internals' });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = drizzle(pool, { schema, logger: { logQuery: (query) => statements.push(query) } });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  /** A database on `db`'s pool whose dialect applies a recording scope. */
  const scoped = () => {
    const { seen, scope } = recordingScope();
    return { seen, sdb: rebuildDatabase(db, scopedDialect(dialectOf(db), scope), (session) => session) as NodePgDatabase<typeof schema> };
  };

  it('the tested drizzle-orm is in the supported range, which is the peer range of package.json', () => {
    const peer = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).peerDependencies['drizzle-orm'];
    expect(peer).toBe(SUPPORTED_DRIZZLE);
    const [low, high] = SUPPORTED_DRIZZLE.match(/\d+\.\d+\.\d+/g)!;
    const order = (version: string) =>
      version
        .split('.')
        .map(Number)
        .reduce((sum, part) => sum * 1000 + part, 0);
    expect(order(npmVersion), `drizzle-orm ${npmVersion} is outside ${SUPPORTED_DRIZZLE}`).toBeGreaterThanOrEqual(order(low!));
    expect(order(npmVersion), `drizzle-orm ${npmVersion} is outside ${SUPPORTED_DRIZZLE}`).toBeLessThan(order(high!));
    // `pnpm test:drizzle-range` says which version it installed: this run must be on it.
    if (process.env.ACME_EXPECT_DRIZZLE_VERSION) expect(npmVersion).toBe(process.env.ACME_EXPECT_DRIZZLE_VERSION);
  });

  it('a database has `dialect` (a PgDialect), `session` and `_.fullSchema`', () => {
    expect(is(dialectOf(db), PgDialect), CHANGED('PgDatabase.dialect')).toBe(true);
    expect(Object.keys(fullSchemaOf(db)), CHANGED('PgDatabase._.fullSchema')).toEqual(Object.keys(schema));
    expect(fullSchemaOf(drizzle(pool)), CHANGED('PgDatabase._ without a schema')).toEqual({});
  });

  it('new PgDatabase(dialect, session, _) builds with that dialect on the same session, relational API included', async () => {
    const { sdb } = scoped();
    expect(sdb.select().from(companies).toSQL().sql, CHANGED('the PgDatabase constructor')).toContain('"companies"."workspace_id" = $1');
    expect(sdb.query.companies, CHANGED('the PgDatabase constructor (relational queries)')).toBeDefined();
    const { rows } = await sdb.execute<{ one: number }>(sql`select 1 as one`);
    expect(rows, CHANGED('PgDatabase.session')).toEqual([{ one: 1 }]);
  });

  it('PgDialect has every build method scopedDialect overrides, and a dialect without one is refused', () => {
    for (const method of DIALECT_BUILD_METHODS) {
      expect(typeof (PgDialect.prototype as unknown as Record<string, unknown>)[method], CHANGED(`PgDialect.${method}`)).toBe('function');
    }
    const incomplete = Object.create({ buildSelectQuery() {} }) as PgDialect;
    expect(() => scopedDialect(incomplete, recordingScope().scope)).toThrow(DrizzleUnsupportedError);
    expect(() => scopedDialect(incomplete, recordingScope().scope)).toThrow(/PgDialect\.buildInsertQuery does not exist.*>=0\.44\.0 <0\.46\.0/);
  });

  it('select: FROM, joins (ON; a cross join in WHERE) and the where come through buildSelectQuery(config)', () => {
    const { sdb, seen } = scoped();
    const query = sdb
      .select()
      .from(companies)
      .leftJoin(contacts, eq(contacts.companyId, companies.id))
      .crossJoin(alias(contacts, 'other'))
      .innerJoin(shared, eq(shared.id, 1))
      .where(eq(companies.name, 'x'))
      .toSQL();
    expect(seen.filters, CHANGED('the select config (table, joins[].table)')).toEqual(['select:companies', 'select:contacts', 'select:other']);
    expect(query.sql, CHANGED('the select config (joins[].on)')).toMatch(
      /left join "contacts" on \("contacts"\."company_id" = "companies"\."id" and "contacts"\."workspace_id" = \$\d\)/,
    );
    expect(query.sql, CHANGED('the select config (joinType, where)')).toMatch(
      /where \("companies"\."name" = \$\d+ and "companies"\."workspace_id" = \$\d+ and "other"\."workspace_id" = \$\d+\)/,
    );
  });

  it('update (with FROM and a join) and delete come through buildUpdateQuery / buildDeleteQuery(config)', () => {
    const { sdb, seen } = scoped();
    const update = sdb.update(companies).set({ name: 'y' }).from(contacts).where(eq(contacts.companyId, companies.id)).toSQL();
    expect(update.sql, CHANGED('the update config (table, from, where)')).toMatch(/"companies"\."workspace_id" = \$\d+ and "contacts"\."workspace_id" = \$\d+/);
    const remove = sdb.delete(companies).where(eq(companies.name, 'x')).toSQL();
    expect(remove.sql, CHANGED('the delete config (table, where)')).toMatch(/where \("companies"\."name" = \$1 and "companies"\."workspace_id" = \$2\)/);
    expect(seen.filters).toEqual(['update:companies', 'update:contacts', 'delete:companies']);
  });

  it('insert: rows come as Param/SQL per given column through buildInsertQuery(config.values); INSERT ... SELECT is flagged', () => {
    const { sdb, seen } = scoped();
    const query = sdb
      .insert(companies)
      .values({ id: W, name: 'n', workspaceId: sql`'planted'` as never })
      .toSQL();
    const [row] = seen.inserts[0]!.rows;
    expect(writtenValue(row!, 'name'), CHANGED('insert values (Param)')).toEqual({ kind: 'value', value: 'n' });
    expect(writtenValue(row!, 'workspaceId'), CHANGED('insert values (SQL)')).toEqual({ kind: 'sql' });
    expect(writtenValue(row!, 'missing')).toEqual({ kind: 'absent' });
    expect(query.params, CHANGED('insert values (stamped Param)')).toContain(W);
    expect(query.sql).not.toContain('planted');

    const fromSelect = scoped();
    fromSelect.sdb.insert(companies).select(fromSelect.sdb.select().from(companies)).toSQL();
    expect(fromSelect.seen.inserts.at(-1), CHANGED('insert ... select (config.select)')).toMatchObject({ table: 'companies', fromSelect: true });
  });

  it('update SET and an upsert’s DO UPDATE SET come through buildUpdateSet(table, set) as Param/SQL', () => {
    const { sdb, seen } = scoped();
    sdb
      .update(companies)
      .set({ name: 'a', workspaceId: sql`gen_random_uuid()` })
      .toSQL();
    sdb
      .insert(companies)
      .values({ id: W, name: 'b', workspaceId: W })
      .onConflictDoUpdate({ target: companies.id, set: { name: 'c' } })
      .toSQL();
    expect(
      seen.sets.map((set) => [writtenValue(set, 'name'), writtenValue(set, 'workspaceId')]),
      CHANGED('buildUpdateSet(table, set)'),
    ).toEqual([
      [{ kind: 'value', value: 'a' }, { kind: 'sql' }],
      [{ kind: 'value', value: 'c' }, { kind: 'absent' }],
    ]);
  });

  it('upsert: the scope joins the DO UPDATE ... WHERE, after targetWhere and with setWhere; DO NOTHING is untouched', () => {
    const { sdb } = scoped();
    const upsert = sdb
      .insert(companies)
      .values({ id: W, name: 'n', workspaceId: W })
      .onConflictDoUpdate({ target: companies.id, targetWhere: sql`true`, set: { name: 'm' }, setWhere: eq(companies.name, 'old') })
      .toSQL();
    expect(upsert.sql, CHANGED('the ON CONFLICT ... DO UPDATE chunks')).toMatch(
      /on conflict \("id"\) where true do update set "name" = \$\d+ where \("companies"\."name" = \$\d+ and "companies"\."workspace_id" = \$\d+\)$/,
    );
    const plain = sdb
      .insert(companies)
      .values({ id: W, name: 'n', workspaceId: W })
      .onConflictDoUpdate({ target: companies.id, set: { name: 'm' } })
      .toSQL();
    expect(plain.sql, CHANGED('the ON CONFLICT ... DO UPDATE chunks')).toMatch(/do update set "name" = \$\d+ where "companies"\."workspace_id" = \$\d+$/);
    const nothing = sdb.insert(companies).values({ id: W, name: 'n', workspaceId: W }).onConflictDoNothing().toSQL();
    expect(nothing.sql, CHANGED('the ON CONFLICT DO NOTHING chunks')).toMatch(/on conflict do nothing$/);
  });

  it('relational queries: every level of `with` comes back through buildRelationalQueryWithoutPK with its columns', () => {
    const { sdb, seen } = scoped();
    const query = sdb.query.companies.findMany({ where: (c, { eq }) => eq(c.name, 'x'), with: { contacts: { with: { company: true } } } }).toSQL();
    expect(seen.relational, CHANGED('buildRelationalQueryWithoutPK recursion through `this`')).toEqual(['companies', 'contacts', 'companies']);
    // Each level's SELECT also comes through buildSelectQuery, which filters it once more: the
    // same condition twice, and either hook alone scopes every level.
    for (const level of ['companies', 'companies_contacts', 'companies_contacts_company']) {
      expect(query.sql, CHANGED(`queryConfig.where(columns, operators) at "${level}"`)).toMatch(
        new RegExp(`"${level}"\\."workspace_id" = \\$\\d+\\) and "${level}"\\."workspace_id" = \\$\\d+`),
      );
    }
    expect(query.params).toContain('x');
  });

  it('a session prepares named statements through prepareQuery(query, fields, name, ...) and plain ones without a name', async () => {
    const names: (string | undefined)[] = [];
    const sdb = rebuildDatabase(db, dialectOf(db), (session) =>
      refuseNamedPrepare(session, (name) => {
        names.push(name);
        return new Error(`refused ${name}`);
      }),
    );
    expect(() => sdb.select().from(shared).prepare('by_name'), CHANGED('the name argument of prepareQuery')).toThrow('refused by_name');
    await expect(sdb.execute(sql`select 1 as one`)).resolves.toBeDefined();
    await expect(sdb.select({ one: sql<number>`1` }).from(sql`(select 1) as t`)).resolves.toEqual([{ one: 1 }]);
    expect(names).toEqual(['by_name']);
  });

  it('node-postgres: a pool-backed database is found by its NodePgSession, and a transaction on a checked-out client works', async () => {
    expect(nodePgPoolOf(drizzle(new pg.Client({ connectionString: database.url }))), 'a single pg.Client is no pool').toBeUndefined();
    const nodePg = nodePgPoolOf(db);
    expect(nodePg, CHANGED('NodePgSession (entityKind, client)')).toBeDefined();
    statements = [];
    const client = await nodePg!.connect();
    try {
      await client.query('begin');
      const tx = await nodePg!.transactionOn(client);
      // The same transaction id through Drizzle and through the client: the session runs on that client.
      const viaDrizzle = (await tx.execute<{ id: string }>(sql`select txid_current()::text as id`)).rows[0]!.id;
      const viaClient = ((await client.query('select txid_current()::text as id')) as { rows: { id: string }[] }).rows[0]!.id;
      expect(viaDrizzle, CHANGED('new NodePgSession(client, dialect, schema, options)')).toBe(viaClient);
      await tx.transaction(async (nested) => {
        await nested.execute(sql`select 1`);
      });
      expect(statements, CHANGED('NodePgTransaction.transaction (savepoints), session.logger')).toEqual(
        expect.arrayContaining(['savepoint sp1', 'release savepoint sp1']),
      );
      nodePg!.logQuery('commit');
      await client.query('commit');
      expect(statements.at(-1)).toBe('commit');
    } finally {
      client.release();
    }
  });

  it('columnType names the key kinds findOneOrThrow checks ids against', () => {
    const t = pgTable('keys', {
      u: uuid('u'),
      i: integer('i'),
      s: serial('s'),
      si: smallint('si'),
      ss: smallserial('ss'),
      b53: bigint('b53', { mode: 'number' }),
      b64: bigint('b64', { mode: 'bigint' }),
      bs53: bigserial('bs53', { mode: 'number' }),
      bs64: bigserial('bs64', { mode: 'bigint' }),
      t: text('t'),
    });
    const kind = (column: Column) => {
      const key = keyKindOf(column);
      return key.kind === 'integer' ? `integer<=${key.max}` : key.kind;
    };
    expect([t.u, t.i, t.s, t.si, t.ss, t.b53, t.b64, t.bs53, t.bs64, t.t].map(kind), CHANGED('Column.columnType names')).toEqual([
      'uuid',
      'integer<=2147483647',
      'integer<=2147483647',
      'integer<=32767',
      'integer<=32767',
      'integer<=9223372036854775807',
      'integer<=9223372036854775807',
      'integer<=9223372036854775807',
      'integer<=9223372036854775807',
      'other',
    ]);
  });

  it('alias() passes unknown keys through to its table, so a mark on the table reaches the alias', () => {
    const key = Symbol('test-mark');
    markTable(companies, key, 'marked');
    expect(tableMark(alias(companies, 'c2'), key), CHANGED('the alias() proxy')).toBe('marked');
  });

  it('values are bound as Param of their column', () => {
    const { sdb } = scoped();
    const bound = boundValue(W, companies.workspaceId) as SQL;
    expect(
      sdb
        .select()
        .from(shared)
        .where(sql`${bound} is not null`)
        .toSQL().params,
      CHANGED('Param'),
    ).toEqual([W]);
  });
});
