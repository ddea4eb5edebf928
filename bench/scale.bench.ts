/**
 * How the suite's costs grow with the data, against real PostgreSQL 17 (embedded unless
 * DATABASE_URL), each beside a hand-written baseline doing the same work in the same run. Every
 * figure is the median (and p99) of single calls, ours and the baseline interleaved call by call,
 * each call on a random row of a random workspace.
 *
 *  - scale-tenancy-get-{small,large}, scale-tenancy-list-{small,large}: a primary-key select and a
 *    50-row page (newest first) through TenantDb vs the same Drizzle query with the workspace
 *    filter written by hand, on 10 workspaces x 1,000 rows and on 1,000 workspaces x 1,000 rows
 *    (1,000,000). The ratio must not grow with the data: `growth` (large ratio / small ratio) is
 *    printed and checked (<= 1.25).
 *  - scale-rls-{1,5,20}: a unit of work of N primary-key selects under row-level security (TenantDb
 *    with rls: one transaction, `begin` and `set_config` in one round trip) vs the same N selects
 *    with the app filter and no transaction: the transaction is paid once, so the ratio falls as N
 *    grows.
 *  - scale-accessible-by: a 50-row page of deals through `accessibleBy` (an ability whose rules
 *    have conditions: own deals only, never confidential ones) on 100,000 deals vs the same where
 *    clause by hand. The plan (EXPLAIN) of ours must use an index, never a sequential scan.
 *  - scale-audit-find-range, scale-audit-find-subject: `AuditQuery.find` (what AuditQueryService
 *    runs) by workspace + one day, and by subject id, on 5,000,000 entries in native monthly
 *    partitions vs the same SQL by hand with the rows mapped by hand. p50 and p99 lines.
 *
 * SCALE=0.1 shrinks every table tenfold (a quick run); better=lower everywhere (us/query).
 */
import 'reflect-metadata';
import { AbilityFactory, accessibleBy, caslSubject, defineAbilities } from '@acme/nest-casl';
import { AuditQuery, migrateAudit, type AuditEntry } from '@acme/nest-audit';
import { ContextService } from '@acme/nest-context';
import { TenantDb, tenantPolicySql } from '@acme/nest-tenancy';
import { startPostgres } from '@acme/nest-testing';
import { and, desc, eq, not } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { boolean, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { median, report, type Better } from './lib/measure.ts';

const SCALE = Number(process.env.SCALE ?? 1);
const ROWS_PER_WORKSPACE = 1_000;
const SMALL_WORKSPACES = 10;
const LARGE_WORKSPACES = Math.max(SMALL_WORKSPACES, Math.round(1_000 * SCALE));
const DEALS = Math.round(100_000 * SCALE);
const DEAL_WORKSPACES = 10;
const AUDIT_ENTRIES = Math.round(Number(process.env.SCALE_AUDIT_ROWS ?? 5_000_000 * SCALE));
const AUDIT_WORKSPACES = 1_000;
const AUDIT_DAYS = 28;
const PAGE = 50;
const PAIRS = 3_000;
const WARMUP = 300;

/** The deterministic id of workspace n (0-based): what the generated rows use. */
const workspace = (n: number) => `0190a0b2-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
const workspaceSql = (n: string) => `('0190a0b2-0000-7000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`;

const postgres = await startPostgres();
const admin = new pg.Pool({ connectionString: postgres.url, max: 2 });
// One connection for each side, so neither gets more parallelism or a warmer pool.
const ownerPool = new pg.Pool({ connectionString: postgres.url, max: 1 });
let appPool: pg.Pool | undefined;
// pg.Pool.end() can resolve before the backends closed; stopping the server then terminates them (57P01).
for (const pool of [admin, ownerPool]) pool.on('error', () => undefined);
const context = new ContextService();
const lines: (() => void)[] = [];
const started = performance.now();

try {
  await tenancyBenches();
  await rlsBenches();
  await accessibleByBench();
  await auditQueryBenches();
  console.log(`(whole run ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  for (const line of lines) line();
} finally {
  await Promise.allSettled([ownerPool.end(), appPool?.end()]);
  await admin.end().catch(() => undefined);
  await postgres.stop();
}

// ---------------------------------------------------------------------------------------------
// Tenancy: the same queries on 10,000 and on 1,000,000 rows

function companiesTable(name: string) {
  return pgTable(name, {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    employees: integer('employees').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  });
}

/** A tenant table as the example shapes them: key (workspace_id, id), newest-first index per workspace. */
async function createCompanies(name: string, workspaces: number): Promise<void> {
  const start = performance.now();
  await admin.query(`
    DROP TABLE IF EXISTS ${name};
    CREATE TABLE ${name} (workspace_id uuid NOT NULL, id uuid NOT NULL, name text NOT NULL, employees integer NOT NULL,
      created_at timestamptz NOT NULL, PRIMARY KEY (workspace_id, id));
    INSERT INTO ${name}
      SELECT ${workspaceSql('w')}, md5(w::text || '/' || n)::uuid, 'Company ' || n, n % 500, now() - n * interval '1 minute'
      FROM generate_series(0, ${workspaces - 1}) w, generate_series(1, ${ROWS_PER_WORKSPACE}) n;
    CREATE INDEX ${name}_newest_idx ON ${name} (workspace_id, created_at DESC, id DESC);
    ANALYZE ${name};
  `);
  console.log(`(${name}: ${workspaces * ROWS_PER_WORKSPACE} rows in ${workspaces} workspaces, built in ${seconds(start)} s)`);
}

async function tenancyBenches(): Promise<void> {
  const sizes = { small: SMALL_WORKSPACES, large: LARGE_WORKSPACES } as const;
  const ratios: Record<string, Record<string, number>> = { get: {}, list: {} };
  const ownerDb = drizzle(ownerPool);
  const scoped = new TenantDb(ownerDb);
  for (const [size, workspaces] of Object.entries(sizes)) {
    const name = `bench_scale_companies_${size}`;
    await createCompanies(name, workspaces);
    const companies = companiesTable(name);
    const { rows } = await admin.query<{ workspace_id: string; id: string }>(`SELECT workspace_id::text, id::text FROM ${name} ORDER BY random() LIMIT 5000`);
    let i = 0;
    const next = () => rows[i++ % rows.length]!;
    const inWorkspace = <T>(workspaceId: string, run: () => Promise<T>) => context.run({ workspaceId, actor: { kind: 'User', id: 'bench' } }, run);

    const get = await interleaved(
      () => {
        const row = next();
        return inWorkspace(row.workspace_id, () => scoped.select().from(companies).where(eq(companies.id, row.id)).then(expectRows(1)));
      },
      () => {
        const row = next();
        return inWorkspace(row.workspace_id, () =>
          ownerDb
            .select()
            .from(companies)
            .where(and(eq(companies.workspaceId, row.workspace_id), eq(companies.id, row.id)))
            .then(expectRows(1)),
        );
      },
    );
    const list = await interleaved(
      () => {
        const { workspace_id } = next();
        return inWorkspace(workspace_id, () =>
          scoped.select().from(companies).orderBy(desc(companies.createdAt), desc(companies.id)).limit(PAGE).then(expectRows(PAGE)),
        );
      },
      () => {
        const { workspace_id } = next();
        return inWorkspace(workspace_id, () =>
          ownerDb
            .select()
            .from(companies)
            .where(eq(companies.workspaceId, workspace_id))
            .orderBy(desc(companies.createdAt), desc(companies.id))
            .limit(PAGE)
            .then(expectRows(PAGE)),
        );
      },
    );
    ratios.get![size] = get.ours.p50 / get.baseline.p50;
    ratios.list![size] = list.ours.p50 / list.baseline.p50;
    const rowsLabel = `${(workspaces * ROWS_PER_WORKSPACE).toLocaleString('en')} rows`;
    print(`tenancy get by id, ${rowsLabel}`, get);
    print(`tenancy 50-row list, ${rowsLabel}`, list);
    lines.push(() => reportTimed(`scale-tenancy-get-${size}`, get));
    lines.push(() => reportTimed(`scale-tenancy-list-${size}`, list));
    await admin.query(`DROP TABLE ${name}`);
  }
  for (const query of ['get', 'list'] as const) {
    const growth = ratios[query]!.large! / ratios[query]!.small!;
    console.log(
      `tenancy ${query}: ratio ${ratios[query]!.small!.toFixed(3)} on the small table, ${ratios[query]!.large!.toFixed(3)} on the large one: growth x${growth.toFixed(3)}`,
    );
    if (growth > 1.25) throw new Error(`tenancy ${query}: the cost of tenant scoping grew x${growth.toFixed(2)} with the data (limit 1.25)`);
  }
}

// ---------------------------------------------------------------------------------------------
// RLS: the transaction of a request paid once for N statements

async function rlsBenches(): Promise<void> {
  const name = 'bench_scale_companies_rls';
  await createCompanies(name, SMALL_WORKSPACES);
  for (const statement of tenantPolicySql(name)) await admin.query(statement);
  await admin.query(
    `DROP ROLE IF EXISTS bench_scale_app; CREATE ROLE bench_scale_app LOGIN PASSWORD 'bench' NOSUPERUSER NOBYPASSRLS; GRANT SELECT ON ${name} TO bench_scale_app`,
  );
  const appUrl = new URL(postgres.url);
  appUrl.username = 'bench_scale_app';
  appUrl.password = 'bench';
  appPool = new pg.Pool({ connectionString: appUrl.toString(), max: 1 });
  appPool.on('error', () => undefined);
  const companies = companiesTable(name);
  const ownerDb = drizzle(ownerPool);
  const rls = new TenantDb(drizzle(appPool), { rls: true });
  const { rows } = await admin.query<{ workspace_id: string; id: string }>(`SELECT workspace_id::text, id::text FROM ${name} ORDER BY random() LIMIT 5000`);
  let i = 0;
  const next = () => rows[i++ % rows.length]!;
  for (const statements of [1, 5, 20]) {
    const result = await interleaved(
      () => {
        const first = next();
        return context.run({ workspaceId: first.workspace_id, actor: { kind: 'User', id: 'bench' } }, () =>
          rls.transaction(async () => {
            for (let n = 0; n < statements; n++)
              await rls
                .select()
                .from(companies)
                .where(eq(companies.id, n === 0 ? first.id : next().id));
          }),
        );
      },
      () => {
        const first = next();
        return context.run({ workspaceId: first.workspace_id, actor: { kind: 'User', id: 'bench' } }, async () => {
          for (let n = 0; n < statements; n++) {
            await ownerDb
              .select()
              .from(companies)
              .where(and(eq(companies.workspaceId, first.workspace_id), eq(companies.id, n === 0 ? first.id : next().id)));
          }
        });
      },
      { pairs: Math.round(PAIRS / Math.sqrt(statements)) },
    );
    print(`RLS unit of work of ${statements} statement(s) vs the app filter without a transaction`, result);
    lines.push(() => reportTimed(`scale-rls-${statements}`, result));
  }
  await appPool.end();
  appPool = undefined;
  await admin.query(`DROP TABLE ${name}; DROP ROLE bench_scale_app`);
}

// ---------------------------------------------------------------------------------------------
// accessibleBy: conditions turned into SQL, on 100,000 deals

async function accessibleByBench(): Promise<void> {
  const name = 'bench_scale_deals';
  const users = 20;
  const start = performance.now();
  await admin.query(`
    DROP TABLE IF EXISTS ${name};
    CREATE TABLE ${name} (workspace_id uuid NOT NULL, id uuid NOT NULL, owner_id text NOT NULL, stage text NOT NULL,
      confidential boolean NOT NULL, amount integer NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (workspace_id, id));
    INSERT INTO ${name}
      SELECT ${workspaceSql('n % ' + DEAL_WORKSPACES)}, md5('deal/' || n)::uuid, 'user-' || (n / ${DEAL_WORKSPACES}) % ${users},
        (ARRAY['Lead','Qualified','Proposal Sent','Won','Lost'])[1 + n % 5], (n / 200) % 20 = 0, n % 100000, now() - n * interval '1 second'
      FROM generate_series(0, ${DEALS - 1}) n;
    CREATE INDEX ${name}_owner_idx ON ${name} (workspace_id, owner_id, created_at DESC, id DESC);
    ANALYZE ${name};
  `);
  console.log(`(${name}: ${DEALS} deals in ${DEAL_WORKSPACES} workspaces, ${users} owners each, built in ${seconds(start)} s)`);
  const deals = caslSubject(
    pgTable(name, {
      workspaceId: uuid('workspace_id').notNull(),
      id: uuid('id').notNull(),
      ownerId: text('owner_id').notNull(),
      stage: text('stage').notNull(),
      confidential: boolean('confidential').notNull(),
      amount: integer('amount').notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    }),
    'Deal',
  );
  const abilities = defineAbilities<'Deal', 'Sales Rep'>({
    'Sales Rep': ({ can, cannot }, { user }) => {
      can('Read', 'Deal', { ownerId: user.id });
      cannot('Read', 'Deal', { confidential: true });
    },
  });
  const factory = new AbilityFactory({ abilities }, context);
  const ownerDb = drizzle(ownerPool);
  const scoped = new TenantDb(ownerDb);
  const callers = Array.from({ length: DEAL_WORKSPACES * users }, (_, n) => ({ workspaceId: workspace(n % DEAL_WORKSPACES), userId: `user-${n % users}` }));
  let i = 0;
  const next = () => callers[i++ % callers.length]!;
  const newest = [desc(deals.createdAt), desc(deals.id)] as const;

  const ours = () => {
    const caller = next();
    const ability = factory.createFor({ id: caller.userId, roles: ['Sales Rep'] }, caller.workspaceId);
    return context.run({ workspaceId: caller.workspaceId, actor: { kind: 'User', id: caller.userId } }, () =>
      scoped
        .select()
        .from(deals)
        .where(accessibleBy(ability, 'Read', deals))
        .orderBy(...newest)
        .limit(PAGE)
        .then(expectSome),
    );
  };
  const byHand = () => {
    const caller = next();
    return context.run({ workspaceId: caller.workspaceId, actor: { kind: 'User', id: caller.userId } }, () =>
      ownerDb
        .select()
        .from(deals)
        .where(and(eq(deals.workspaceId, caller.workspaceId), eq(deals.ownerId, caller.userId), not(deals.confidential)))
        .orderBy(...newest)
        .limit(PAGE)
        .then(expectSome),
    );
  };

  // The plan of our query, as TenantDb sends it: an index, never a sequential scan of the table.
  const caller = callers[0]!;
  const ability = factory.createFor({ id: caller.userId, roles: ['Sales Rep'] }, caller.workspaceId);
  const query = await context.run({ workspaceId: caller.workspaceId, actor: { kind: 'User', id: caller.userId } }, async () =>
    scoped
      .select()
      .from(deals)
      .where(accessibleBy(ability, 'Read', deals))
      .orderBy(...newest)
      .limit(PAGE)
      .toSQL(),
  );
  const plan = (await admin.query(`EXPLAIN ${query.sql}`, query.params)).rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
  console.log(`plan of the accessibleBy page:\n${plan.replace(/^/gm, '  ')}`);
  if (/Seq Scan/.test(plan) || !/Index/.test(plan)) throw new Error('the accessibleBy page does not use an index');

  const result = await interleaved(ours, byHand);
  print(`accessibleBy 50-row page of ${DEALS.toLocaleString('en')} deals (own, not confidential)`, result);
  lines.push(() => reportTimed('scale-accessible-by', result));
  await admin.query(`DROP TABLE ${name}`);
}

// ---------------------------------------------------------------------------------------------
// Audit search on millions of entries in native partitions

async function auditQueryBenches(): Promise<void> {
  const start = performance.now();
  await admin.query('DROP TABLE IF EXISTS audit_log CASCADE');
  // Without TimescaleDB: monthly range partitions (the previous month onward) and DEFAULT.
  await migrateAudit(admin, { timescale: false });
  // Entries of the last AUDIT_DAYS days, spread evenly over AUDIT_WORKSPACES workspaces, 50 subjects each.
  const batch = 500_000;
  for (let from = 0; from < AUDIT_ENTRIES; from += batch) {
    const to = Math.min(AUDIT_ENTRIES, from + batch) - 1;
    await admin.query(`
      INSERT INTO audit_log (id, occurred_at, workspace_id, actor_kind, actor_id, action, subject, subject_id, status, request_id, duration_ms, metadata, changes)
      SELECT gen_random_uuid(), now() - (n::double precision / ${AUDIT_ENTRIES}) * interval '${AUDIT_DAYS} days',
        ${workspaceSql(`n % ${AUDIT_WORKSPACES}`)}, 'User', 'user-' || n % 7, (ARRAY['Create','Update','Delete'])[1 + n % 3], 'Deal',
        'deal-' || (n / ${AUDIT_WORKSPACES}) % 50, 'Success', 'req-' || n, n % 40, '{"source":"api"}'::jsonb,
        jsonb_build_object('stage', jsonb_build_object('before', 'Lead', 'after', 'Won'))
      FROM generate_series(${from}, ${to}) n`);
  }
  await admin.query('ANALYZE audit_log');
  const { rows: partitions } = await admin.query<{ name: string; rows: string }>(
    `SELECT c.relname AS name, c.reltuples::bigint::text AS rows FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audit_log'::regclass ORDER BY 1`,
  );
  console.log(
    `(audit_log: ${AUDIT_ENTRIES.toLocaleString('en')} entries in ${AUDIT_WORKSPACES} workspaces over ${AUDIT_DAYS} days, built in ${seconds(start)} s; ` +
      `partitions ${partitions.map((p) => `${p.name}=${p.rows}`).join(' ')})`,
  );

  const query = new AuditQuery(ownerPool);
  const day = 24 * 3600 * 1000;
  let i = 0;
  const nextWorkspace = () => workspace(i++ % AUDIT_WORKSPACES);
  const window = () => {
    const to = new Date(Date.now() - (1 + (i % (AUDIT_DAYS - 2))) * day);
    return { from: new Date(to.getTime() - day), to };
  };
  // The baseline: the same SQL written by hand, rows mapped by hand.
  const columns =
    'id::text AS id, occurred_at, workspace_id::text AS workspace_id, actor_kind, actor_id, action, subject, subject_id, status, error_code, error_message, ' +
    'request_id, ip, user_agent, duration_ms, metadata, changes';
  const byHand = async (where: string, values: unknown[]) => {
    const { rows } = await ownerPool.query(`SELECT ${columns} FROM audit_log WHERE ${where} ORDER BY occurred_at DESC, id DESC LIMIT ${PAGE + 1}`, values);
    return rows.slice(0, PAGE).map((row): AuditEntry => ({
      id: row.id,
      occurredAt: row.occurred_at,
      workspaceId: row.workspace_id,
      actorKind: row.actor_kind,
      actorId: row.actor_id,
      action: row.action,
      subject: row.subject,
      subjectId: row.subject_id,
      status: row.status,
      errorCode: row.error_code,
      errorMessage: row.error_message,
      requestId: row.request_id,
      ip: row.ip,
      userAgent: row.user_agent,
      durationMs: row.duration_ms,
      metadata: row.metadata,
      changes: row.changes,
    }));
  };

  const range = await interleaved(
    () => {
      const { from, to } = window();
      return query.find({ workspaceId: nextWorkspace(), from, to, limit: PAGE }).then((page) => expectSome(page.items));
    },
    () => {
      const { from, to } = window();
      return byHand('workspace_id = $1::uuid AND occurred_at >= $2 AND occurred_at < $3', [nextWorkspace(), from, to]).then(expectSome);
    },
  );
  const perSubject = Math.floor(AUDIT_ENTRIES / AUDIT_WORKSPACES / 50);
  const subject = await interleaved(
    () => query.find({ workspaceId: nextWorkspace(), subject: 'Deal', subjectId: `deal-${i % 50}`, limit: PAGE }).then((page) => expectSome(page.items)),
    () => byHand('workspace_id = $1::uuid AND subject = $2 AND subject_id = $3', [nextWorkspace(), 'Deal', `deal-${i % 50}`]).then(expectSome),
  );
  print(`audit find by workspace + one day, ${AUDIT_ENTRIES.toLocaleString('en')} entries`, range);
  print(`audit find by subject id (${perSubject} entries each), ${AUDIT_ENTRIES.toLocaleString('en')} entries`, subject);
  lines.push(() => reportTimed('scale-audit-find-range', range));
  lines.push(() => reportTimed('scale-audit-find-subject', subject));
  await admin.query('DROP TABLE audit_log CASCADE');
}

// ---------------------------------------------------------------------------------------------

interface Timed {
  p50: number;
  p99: number;
  /** Per block of calls (ours, baseline paired): the medians, for the spread of the ratio. */
  blocks: number[];
}

/**
 * Times single calls of ours and the baseline, interleaved call by call (alternating which goes
 * first) after a warm-up, in microseconds: p50, p99, and the medians of 5 blocks of calls.
 */
async function interleaved(ours: () => Promise<unknown>, baseline: () => Promise<unknown>, { pairs = PAIRS } = {}) {
  const times = { ours: [] as number[], baseline: [] as number[] };
  const timeOne = async (op: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await op();
    return Number(process.hrtime.bigint() - start) / 1000;
  };
  for (let i = 0; i < WARMUP + pairs; i++) {
    const oursFirst = i % 2 === 0;
    const first = await timeOne(oursFirst ? ours : baseline);
    const second = await timeOne(oursFirst ? baseline : ours);
    if (i < WARMUP) continue;
    times.ours.push(oursFirst ? first : second);
    times.baseline.push(oursFirst ? second : first);
  }
  const summary = (values: number[]): Timed => {
    const blockSize = Math.ceil(values.length / 5);
    const blocks = Array.from({ length: 5 }, (_, b) => median(values.slice(b * blockSize, (b + 1) * blockSize)));
    const sorted = [...values].sort((a, b) => a - b);
    return { p50: median(values), p99: sorted[Math.floor(sorted.length * 0.99)]!, blocks };
  };
  return { ours: summary(times.ours), baseline: summary(times.baseline) };
}

function print(what: string, result: { ours: Timed; baseline: Timed }): void {
  const us = (n: number) => n.toFixed(0);
  console.log(
    `${what}: ours p50 ${us(result.ours.p50)} us p99 ${us(result.ours.p99)} us; by hand p50 ${us(result.baseline.p50)} us p99 ${us(result.baseline.p99)} us`,
  );
}

/** The p50 line, and the p99 line beside it. */
function reportTimed(name: string, result: { ours: Timed; baseline: Timed }, better: Better = 'lower'): void {
  report(name, result.ours.p50, result.baseline.p50, 'us/query', better, { ours: result.ours.blocks, baseline: result.baseline.blocks });
  report(`${name}-p99`, result.ours.p99, result.baseline.p99, 'us/query', better);
}

function expectRows(count: number) {
  return (rows: unknown[]) => {
    if (rows.length !== count) throw new Error(`expected ${count} rows, got ${rows.length}`);
  };
}

/** Pages whose size depends on the generated data (SCALE): both sides must find rows. */
function expectSome(rows: unknown[]): void {
  if (rows.length === 0 || rows.length > PAGE) throw new Error(`expected 1 to ${PAGE} rows, got ${rows.length}`);
}

function seconds(start: number): string {
  return ((performance.now() - start) / 1000).toFixed(1);
}
