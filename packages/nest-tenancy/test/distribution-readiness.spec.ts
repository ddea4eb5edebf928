import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { pgTable, text, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDistributionReadiness, TenancyArgumentError, tenantTable, type DistributionProblem } from '@acme/nest-tenancy';

// Drizzle tables only name what the check reads (table names and which have workspace_id); the
// database's DDL below is the truth it checks.
const ws = () => uuid('workspace_id').notNull();
const workspaces = pgTable('workspaces', { id: uuid('id').primaryKey() });
const users = pgTable('users', { id: uuid('id').primaryKey() });
const companies = pgTable('companies', { id: uuid('id'), workspaceId: ws() });
const contacts = pgTable('contacts', { id: uuid('id'), workspaceId: ws() });
const invoices = pgTable('invoices', { id: uuid('id'), workspaceId: ws() });
const tags = pgTable('tags', { id: uuid('id'), workspaceId: ws() });
const accounts = pgTable('accounts', { id: uuid('id'), workspaceId: ws() });
const notes = pgTable('notes', { id: uuid('id'), workspaceId: ws() });
const reviews = pgTable('reviews', { id: uuid('id'), workspaceId: ws() });
const accountLabels = pgTable('account_labels', { id: uuid('id') });
const textWorkspace = pgTable('text_workspace', { id: uuid('id'), workspaceId: text('workspace_id').notNull() });
const noColumn = pgTable('no_column', { id: uuid('id'), workspaceId: ws() });
const neverMigrated = pgTable('never_migrated', { id: uuid('id'), workspaceId: ws() });
const sessions = tenantTable(pgTable('sessions', { id: uuid('id'), workspaceId: ws() }), null);

const DDL = `
  CREATE TABLE workspaces (id uuid PRIMARY KEY);
  CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL);
  CREATE UNIQUE INDEX users_email_key ON users (lower(email));
  CREATE TABLE companies (workspace_id uuid NOT NULL REFERENCES workspaces, id uuid NOT NULL, PRIMARY KEY (workspace_id, id));
  CREATE TABLE contacts (
    workspace_id uuid NOT NULL REFERENCES workspaces, id uuid NOT NULL, company_id uuid NOT NULL, email text NOT NULL,
    owner_id uuid REFERENCES users, PRIMARY KEY (workspace_id, id), UNIQUE (workspace_id, email),
    FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id) ON DELETE CASCADE);
  CREATE TABLE sessions (id uuid PRIMARY KEY, workspace_id uuid NOT NULL REFERENCES workspaces, user_id uuid NOT NULL REFERENCES users);

  CREATE TABLE invoices (id uuid PRIMARY KEY, workspace_id uuid NOT NULL);
  CREATE TABLE tags (workspace_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, slug text NOT NULL,
    PRIMARY KEY (workspace_id, id), CONSTRAINT tags_name_key UNIQUE (name));
  CREATE UNIQUE INDEX tags_slug_key ON tags (lower(slug)) WHERE slug <> '';
  CREATE TABLE accounts (workspace_id uuid NOT NULL, id uuid PRIMARY KEY);
  CREATE TABLE notes (workspace_id uuid NOT NULL, id uuid NOT NULL, account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, id));
  CREATE TABLE reviews (workspace_id uuid NOT NULL, id uuid NOT NULL, company_workspace_id uuid NOT NULL, company_id uuid NOT NULL,
    PRIMARY KEY (workspace_id, id), CONSTRAINT reviews_company_fkey FOREIGN KEY (company_workspace_id, company_id) REFERENCES companies (workspace_id, id));
  CREATE TABLE account_labels (id uuid PRIMARY KEY, account_id uuid NOT NULL CONSTRAINT account_labels_account_fkey REFERENCES accounts (id));
  CREATE TABLE text_workspace (workspace_id text NOT NULL, id uuid NOT NULL, PRIMARY KEY (workspace_id, id));
  CREATE TABLE no_column (id uuid PRIMARY KEY);
`;

const kinds = (problems: DistributionProblem[]) => problems.map((p) => [p.kind, p.table, p.constraint]);

describe('checkDistributionReadiness', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: NodePgDatabase;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'distribution' });
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = drizzle(pool);
    await pool.query(DDL);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('passes a schema Citus can co-locate, and gives the calls in order: reference tables first, then distributed ones co-located with the first', async () => {
    const result = await checkDistributionReadiness(db, [contacts, sessions, companies, users, workspaces]);
    expect(result.problems).toEqual([]);
    expect(result.ready).toBe(true);
    // A shared table declared with tenantTable(t, null) is a reference table; referenced tables come first.
    expect(result.reference).toEqual(['public.users', 'public.workspaces', 'public.sessions']);
    expect(result.distributed).toEqual(['public.companies', 'public.contacts']);
    expect(result.statements).toEqual([
      `SELECT create_reference_table('"public"."users"');`,
      `SELECT create_reference_table('"public"."workspaces"');`,
      `SELECT create_reference_table('"public"."sessions"');`,
      `SELECT create_distributed_table('"public"."companies"', 'workspace_id');`,
      `SELECT create_distributed_table('"public"."contacts"', 'workspace_id', colocate_with => '"public"."companies"');`,
    ]);
  });

  it('takes a Drizzle schema object too (relations and other values are skipped)', async () => {
    const result = await checkDistributionReadiness(db, { workspaces, users, companies, contacts, sessions, notATable: { id: 1 } });
    expect(result.ready).toBe(true);
  });

  it('Primary Key Without Workspace: a tenant table keyed by id alone; its fix makes it pass', async () => {
    const result = await checkDistributionReadiness(db, [invoices]);
    expect(result.ready).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: 'Primary Key Without Workspace',
        table: 'public.invoices',
        constraint: 'invoices_pkey',
        fix: 'ALTER TABLE "public"."invoices" DROP CONSTRAINT "invoices_pkey", ADD PRIMARY KEY ("workspace_id", "id");',
      }),
    ]);
    await pool.query(result.problems[0]!.fix);
    expect(await checkDistributionReadiness(db, [invoices])).toMatchObject({ ready: true, problems: [] });
  });

  it('Unique Without Workspace: a unique constraint and a unique index (expression, partial) without it; the fixes make it pass', async () => {
    const result = await checkDistributionReadiness(db, [tags]);
    expect(kinds(result.problems)).toEqual([
      ['Unique Without Workspace', 'public.tags', 'tags_name_key'],
      ['Unique Without Workspace', 'public.tags', 'tags_slug_key'],
    ]);
    expect(result.problems[1]!.fix).toBe(
      `DROP INDEX "public"."tags_slug_key"; CREATE UNIQUE INDEX tags_slug_key ON public.tags USING btree ("workspace_id", lower(slug)) WHERE (slug <> ''::text);`,
    );
    for (const problem of result.problems) await pool.query(problem.fix);
    expect(await checkDistributionReadiness(db, [tags])).toMatchObject({ ready: true, problems: [] });
  });

  it("Foreign Key Without Workspace: by id alone, and with a column that is not the row's own workspace", async () => {
    const result = await checkDistributionReadiness(db, [accounts, notes, reviews, companies, workspaces]);
    expect(kinds(result.problems)).toEqual([
      ['Primary Key Without Workspace', 'public.accounts', 'accounts_pkey'],
      ['Foreign Key Without Workspace', 'public.notes', 'notes_account_id_fkey'],
      ['Foreign Key Without Workspace', 'public.reviews', 'reviews_company_fkey'],
    ]);
    expect(result.problems[1]!.fix).toBe(
      'ALTER TABLE "public"."notes" DROP CONSTRAINT "notes_account_id_fkey", ADD CONSTRAINT "notes_account_id_fkey" ' +
        'FOREIGN KEY ("workspace_id", "account_id") REFERENCES "public"."accounts" ("workspace_id", "id") ON DELETE CASCADE;',
    );
  });

  it('Foreign Key To Unknown Table: a foreign key to a table that was not given', async () => {
    const result = await checkDistributionReadiness(db, [workspaces, companies, contacts]);
    expect(kinds(result.problems)).toEqual([['Foreign Key To Unknown Table', 'public.contacts', 'contacts_owner_id_fkey']]);
    expect(result.problems[0]!.fix).toMatch(/Add public\.users to `tables`/);
  });

  it('Foreign Key From Reference Table: a shared table pointing at a tenant table', async () => {
    const result = await checkDistributionReadiness(db, [accounts, accountLabels]);
    expect(kinds(result.problems)).toEqual([
      ['Primary Key Without Workspace', 'public.accounts', 'accounts_pkey'],
      ['Foreign Key From Reference Table', 'public.account_labels', 'account_labels_account_fkey'],
    ]);
  });

  it('Table Not Found, Workspace Column Missing, Workspace Column Type Differs', async () => {
    const result = await checkDistributionReadiness(db, [companies, neverMigrated, noColumn, textWorkspace, workspaces]);
    expect(kinds(result.problems)).toEqual([
      ['Table Not Found', 'public.never_migrated', null],
      ['Workspace Column Missing', 'public.no_column', null],
      ['Workspace Column Type Differs', 'public.companies, public.text_workspace', null],
    ]);
    expect(result.problems[2]!.message).toMatch(/found uuid \(public\.companies\), text \(public\.text_workspace\)/);
  });

  it('refuses bad input with TenancyArgumentError (TENANCY_INVALID_ARGUMENT) instead of passing vacuously', async () => {
    const cases: Array<[unknown, unknown, RegExp]> = [
      [pool, [companies], /"db" must be a Drizzle Postgres database/],
      [db, [companies, 'users'], /"tables" must be an array of Drizzle pgTable/],
      [db, null, /"tables" must be an array/],
      [db, [workspaces, users], /none of the tables given has the "workspace_id" column/],
      [db, [], /none of the tables given/],
    ];
    for (const [target, tables, message] of cases) {
      const error = await checkDistributionReadiness(target as NodePgDatabase, tables as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenancyArgumentError);
      expect((error as TenancyArgumentError).code).toBe('TENANCY_INVALID_ARGUMENT');
      expect((error as Error).message).toMatch(message);
    }
    await expect(checkDistributionReadiness(db, [companies], { tenantColumn: 'bad name' })).rejects.toMatchObject({ code: 'TENANCY_INVALID_OPTIONS' });
  });
});
