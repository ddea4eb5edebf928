import { ContextModule } from '@acme/nest-context';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { integer, pgTable, uuid } from 'drizzle-orm/pg-core';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRlsPosture, RlsPostureError, TenancyModule, tenantPolicySql } from '@acme/nest-tenancy';
import { createTenancyFixture, WS_A, WS_B, type TenancyFixture } from './support/database';
import { companies, contacts } from './support/schema';

const unprotected = pgTable('unprotected', { id: uuid('id').primaryKey(), workspaceId: uuid('workspace_id').notNull() });
const owned = pgTable('owned', { id: integer('id').primaryKey(), workspaceId: uuid('workspace_id').notNull() });

describe('RLS posture check', () => {
  let fixture: TenancyFixture;

  beforeAll(async () => {
    fixture = await createTenancyFixture();
    const admin = new pg.Client({ connectionString: fixture.database.url });
    await admin.connect();
    for (const statement of [
      'CREATE TABLE unprotected (id uuid PRIMARY KEY, workspace_id uuid NOT NULL)',
      'CREATE TABLE owned (id integer PRIMARY KEY, workspace_id uuid NOT NULL)',
      ...tenantPolicySql('owned'),
      `ALTER TABLE owned OWNER TO "${fixture.appRole}"`,
    ]) {
      await admin.query(statement);
    }
    await admin.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: fixture.database.url });
    await admin.connect();
    await admin.query('DROP TABLE owned');
    await admin.end();
    await fixture.close();
  });

  it('passes for a runtime role that owns nothing, on tables with forced RLS and a policy', async () => {
    await expect(checkRlsPosture(fixture.app, [companies, contacts])).resolves.toBeUndefined();
  });

  it('refuses a superuser (the owner connection) and names why', async () => {
    const error = await checkRlsPosture(fixture.admin, [companies]).catch((e) => e);
    expect(error).toBeInstanceOf(RlsPostureError);
    expect(error.code).toBe('TENANCY_RLS_POSTURE');
    expect(error.message).toMatch(/is a superuser/);
    expect(error.message).toMatch(/owns public\.companies/);
  });

  it('refuses a role that is not superuser but has BYPASSRLS: it would read every workspace', async () => {
    const role = `bypass_${fixture.database.name}`.slice(0, 63);
    const admin = new pg.Client({ connectionString: fixture.database.url });
    await admin.connect();
    const url = new URL(fixture.database.url);
    url.username = role;
    url.password = 'bypass';
    const bypass = drizzle(new pg.Pool({ connectionString: url.toString(), max: 1 }));
    try {
      await admin.query(`CREATE ROLE "${role}" LOGIN PASSWORD 'bypass' NOSUPERUSER BYPASSRLS`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${role}"`);
      await admin.query(`INSERT INTO companies (workspace_id, name) VALUES ('${WS_A}', 'A'), ('${WS_B}', 'B')`);
      // Why it must be refused: with no workspace set, the policy hides every row from the
      // runtime role, and this role still sees both workspaces.
      expect(await fixture.app.select().from(companies)).toEqual([]);
      expect((await bypass.select().from(companies)).map((c) => c.name).sort()).toEqual(['A', 'B']);

      const error = await checkRlsPosture(bypass, [companies, contacts]).catch((e) => e);
      expect(error).toBeInstanceOf(RlsPostureError);
      expect(error.problems).toEqual([`role "${role}" has BYPASSRLS: row-level security does not apply to it`]);
    } finally {
      await bypass.$client.end();
      await admin.query('DELETE FROM companies');
      await admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      await admin.end();
    }
  });

  it('refuses a role that owns a tenant table', async () => {
    const error = await checkRlsPosture(fixture.app, [companies, owned]).catch((e) => e);
    expect(error).toBeInstanceOf(RlsPostureError);
    expect(error.problems).toEqual([expect.stringMatching(/owns public\.owned .*can disable its policies/)]);
  });

  it('refuses a tenant table without RLS or policy, and one that does not exist', async () => {
    const missing = pgTable('missing_table', { workspaceId: uuid('workspace_id') });
    const error = await checkRlsPosture(fixture.app, [unprotected, missing]).catch((e) => e);
    expect(error.problems).toEqual([
      'public.unprotected does not have row-level security enabled',
      'public.unprotected has no policy',
      'tenant table public.missing_table does not exist (run the migrations)',
    ]);
  });

  it('TenancyModule with rls: true refuses to start on a bad posture, and starts on a good one', async () => {
    @Module({ imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: fixture.admin, rls: true })] })
    class BadApp {}
    const bad = await Test.createTestingModule({ imports: [BadApp] }).compile();
    await expect(bad.createNestApplication({ logger: false }).init()).rejects.toBeInstanceOf(RlsPostureError);

    // The default table list comes from the Drizzle schema: companies and contacts have the
    // column, memberships is declared out of tenancy, workspaces has none.
    @Module({ imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: fixture.app, rls: true })] })
    class GoodApp {}
    const good = await Test.createTestingModule({ imports: [GoodApp] }).compile();
    const app = good.createNestApplication({ logger: false });
    await expect(app.init()).resolves.toBeDefined();
    await app.close();
  });

  it('refuses when there is no tenant table to check (a Drizzle database without its schema)', async () => {
    const schemaless = drizzle(new pg.Pool({ connectionString: fixture.appUrl, max: 1 }));
    try {
      @Module({ imports: [ContextModule.forRoot(), TenancyModule.forRoot({ db: schemaless, rls: true })] })
      class App {}
      const moduleRef = await Test.createTestingModule({ imports: [App] }).compile();
      const error = await moduleRef
        .createNestApplication({ logger: false })
        .init()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RlsPostureError);
      expect((error as RlsPostureError).problems).toEqual([expect.stringMatching(/^no tenant tables to check/)]);
    } finally {
      await schemaless.$client.end();
    }
  });
});
