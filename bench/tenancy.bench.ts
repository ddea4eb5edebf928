/**
 * What tenant scoping costs a query, against real PostgreSQL 17 (embedded unless DATABASE_URL):
 *  - tenancy:      primary-key select through TenantDb vs the same Drizzle query with the
 *                  workspace filter written by hand (the app-level scoping overhead);
 *  - tenancy-list: a 50-row list, same comparison;
 *  - tenancy-rls:  the same primary-key select as one RLS unit of work (BEGIN, set_config,
 *                  query, COMMIT) vs the app filter alone: the price of the database backstop.
 */
import { ContextService } from '@acme/nest-context';
import { TenantDb, tenantPolicySql } from '@acme/nest-tenancy';
import { startPostgres } from '@acme/nest-testing';
import { and, eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { compare, report } from './lib/measure.ts';

const companies = pgTable('bench_companies', {
  id: uuid('id').primaryKey(),
  workspaceId: uuid('workspace_id').notNull(),
  name: text('name').notNull(),
  employees: integer('employees').notNull(),
});

const WORKSPACES = ['0190a0b2-0000-7000-8000-00000000000a', '0190a0b2-0000-7000-8000-00000000000b'];
const ROWS_PER_WORKSPACE = 20_000;

const server = await startPostgres();
const admin = new pg.Pool({ connectionString: server.url, max: 2 });
await admin.query(`
  DROP TABLE IF EXISTS bench_companies;
  CREATE TABLE bench_companies (id uuid PRIMARY KEY, workspace_id uuid NOT NULL, name text NOT NULL, employees integer NOT NULL);
  DROP ROLE IF EXISTS bench_app; CREATE ROLE bench_app LOGIN PASSWORD 'bench' NOSUPERUSER NOBYPASSRLS;
  GRANT SELECT ON bench_companies TO bench_app;
`);
await admin.query(
  `INSERT INTO bench_companies SELECT gen_random_uuid(), w, 'Company ' || n, n % 500
   FROM unnest($1::uuid[]) w, generate_series(1, ${ROWS_PER_WORKSPACE}) n`,
  [WORKSPACES],
);
await admin.query('CREATE INDEX bench_companies_workspace_idx ON bench_companies (workspace_id, name); ANALYZE bench_companies');
for (const statement of tenantPolicySql('bench_companies')) await admin.query(statement);

const appUrl = new URL(server.url);
appUrl.username = 'bench_app';
appUrl.password = 'bench';
// One connection each, so every variant pays the same pool cost and none gets more parallelism.
const ownerPool = new pg.Pool({ connectionString: server.url, max: 1 });
const appPool = new pg.Pool({ connectionString: appUrl.toString(), max: 1 });
// pg.Pool.end() can resolve before Postgres has closed the backends; stopping the server then
// terminates them (57P01), which an idle pool re-emits as an unhandled 'error'. Expected here.
for (const pool of [admin, ownerPool, appPool]) pool.on('error', () => undefined);
const ownerDb = drizzle(ownerPool);
const appDb = drizzle(appPool);
const scoped = new TenantDb(ownerDb);
const scopedRls = new TenantDb(appDb, { rls: true });

const workspaceId = WORKSPACES[0]!;
const { rows } = await admin.query('SELECT id FROM bench_companies WHERE workspace_id = $1 LIMIT 1000', [workspaceId]);
const ids = rows.map((row: { id: string }) => row.id);
let i = 0;
const nextId = (): string => ids[i++ % ids.length]!;

const options = { iterations: 1_000, rounds: 9, warmup: 2 };
const context = new ContextService();
await context.run({ workspaceId, actor: { kind: 'User', id: 'bench' } }, async () => {
  const pk = await compare(
    () => scoped.select().from(companies).where(eq(companies.id, nextId())),
    () =>
      ownerDb
        .select()
        .from(companies)
        .where(and(eq(companies.id, nextId()), eq(companies.workspaceId, workspaceId))),
    options,
  );
  const list = await compare(
    () => scoped.select().from(companies).orderBy(companies.name).limit(50),
    () => ownerDb.select().from(companies).where(eq(companies.workspaceId, workspaceId)).orderBy(companies.name).limit(50),
    options,
  );
  const rls = await compare(
    () =>
      scopedRls.transaction(() =>
        scopedRls
          .select()
          .from(companies)
          .where(eq(companies.id, nextId()))
          .then((r) => r),
      ),
    () => scoped.select().from(companies).where(eq(companies.id, nextId())),
    options,
  );

  const us = (ns: number) => ns / 1000;
  console.log(`primary-key select: tenantDb ${us(pk.ours.nsPerOp).toFixed(1)} us, hand-written filter ${us(pk.baseline.nsPerOp).toFixed(1)} us`);
  console.log(`50-row list: tenantDb ${us(list.ours.nsPerOp).toFixed(1)} us, hand-written filter ${us(list.baseline.nsPerOp).toFixed(1)} us`);
  console.log(
    `RLS unit of work (BEGIN + set_config + select + COMMIT) ${us(rls.ours.nsPerOp).toFixed(1)} us vs app filter alone ` +
      `${us(rls.baseline.nsPerOp).toFixed(1)} us: +${us(rls.ours.nsPerOp - rls.baseline.nsPerOp).toFixed(1)} us per unit of work ` +
      '(paid once per request, not per query)',
  );
  report('tenancy', us(pk.ours.nsPerOp), us(pk.baseline.nsPerOp), 'us/query', 'lower');
  report('tenancy-list', us(list.ours.nsPerOp), us(list.baseline.nsPerOp), 'us/query', 'lower');
  report('tenancy-rls', us(rls.ours.nsPerOp), us(rls.baseline.nsPerOp), 'us/query', 'lower');
});

await Promise.all([ownerPool.end(), appPool.end()]);
await admin.query('DROP TABLE bench_companies; DROP ROLE bench_app');
await admin.end();
await server.stop();
