import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAudit } from '../src/storage/audit-migration';
import { insertAuditRows, testUuid } from './support/storage-rows';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const NIL = '00000000-0000-0000-0000-000000000000';
const DAY = 86_400_000;
const OPTIONS = { timescale: true, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '30 days' } as const;
const hashOf = (workspace: string | null, seq: number) => createHash('sha256').update(`${workspace}:${seq}`).digest();

// The embedded TimescaleDB (PGlite) serves one connection at a time, and has no background
// workers: jobs run through CALL run_job(id), as a scheduler would run them.
describe('retention boundaries on TimescaleDB (the retention job)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let schema: string;
  const one = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows[0];
  const jobOf = async (proc: string) =>
    (await one('SELECT job_id, config FROM timescaledb_information.jobs WHERE proc_schema = $1 AND proc_name = $2', [schema, proc])) as
      { job_id: number; config: Record<string, string> } | undefined;
  const boundaries = async (table = 'audit_log') =>
    (
      await pool.query(
        `SELECT workspace_id::text AS ws, seq::int AS seq, encode(hash, 'hex') AS hash FROM ${table}_checkpoints WHERE kind = 'Retention Boundary' ORDER BY workspace_id, seq`,
      )
    ).rows;
  const boundary = (ws: string | null, seq: number) => ({ ws: ws ?? NIL, seq, hash: hashOf(ws, seq).toString('hex') });
  /** Chained rows, `daysAgo` old (chain columns set as maintenance: the writer fills them at insert). */
  const insertChained = async (table: string, rows: { n: number; workspaceId: string | null; seq: number | null; daysAgo: number }[]) => {
    await insertAuditRows(
      pool,
      rows.map((r) => ({ id: testUuid(r.n), occurredAt: new Date(Date.now() - r.daysAgo * DAY), workspaceId: r.workspaceId })),
      `"${table}"`,
    );
    const chained = rows.filter((r) => r.seq !== null);
    await pool.query(
      `SELECT set_config('acme_audit.maintenance', 'on', true);
       UPDATE ${table} t SET chain_seq = v.seq, chain_hash = decode(v.hash, 'hex')
         FROM (VALUES ${chained.map((r) => `('${testUuid(r.n)}'::uuid, ${r.seq}, '${hashOf(r.workspaceId, r.seq!).toString('hex')}')`).join(', ')}) AS v(id, seq, hash)
        WHERE t.id = v.id`,
    );
  };

  beforeAll(async () => {
    database = await createTestDatabase({ server: 'timescale', prefix: 'audit_retention_ts' });
    pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    schema = (await one('SELECT current_schema() AS schema')).schema;
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('installs a retention job of its own in place of a retention policy, once, whatever the search_path it runs with', async () => {
    await migrateAudit(pool, OPTIONS);
    await migrateAudit(pool, OPTIONS);
    const jobs = await pool.query(`SELECT proc_name FROM timescaledb_information.jobs WHERE proc_schema = $1 AND proc_name LIKE '%retention%'`, [schema]);
    expect(jobs.rows).toEqual([{ proc_name: 'audit_log_retention' }]);
    expect((await jobOf('audit_log_retention'))!.config).toEqual({
      drop_after: '30 days',
      hypertable: `${schema}.audit_log`,
      checkpoints: `${schema}.audit_log_checkpoints`,
      guard: `${schema}.audit_log_append_only`,
      guard_trigger: 'audit_log_append_only_statements',
    });
    expect(
      await one(`SELECT count(*)::int AS n FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_schema = $1`, [schema]),
    ).toEqual({
      n: 0,
    });
  });

  it('records per workspace the newest entry of the chunks it drops (compressed ones included), then drops them', async () => {
    await insertChained('audit_log', [
      ...Array.from({ length: 10 }, (_, i) => ({ n: i + 1, workspaceId: WS_A, seq: i + 1, daysAgo: 45 - i })), // seq 1..10, 45..36 days ago
      ...Array.from({ length: 5 }, (_, i) => ({ n: 20 + i, workspaceId: WS_A, seq: 11 + i, daysAgo: 5 - i })), // seq 11..15, recent
      ...[1, 2, 3].map((seq) => ({ n: 30 + seq, workspaceId: WS_B, seq, daysAgo: 50 - seq })),
      { n: 40, workspaceId: null, seq: 1, daysAgo: 40 },
      { n: 41, workspaceId: WS_B, seq: null, daysAgo: 44 }, // written with the chain off: no position, no boundary
    ]);
    const compression = (
      await one(`SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression' AND hypertable_schema = $1`, [schema])
    ).job_id;
    await pool.query(`CALL run_job(${compression})`);
    expect(
      (await one(`SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND is_compressed`, [schema])).n,
    ).toBeGreaterThan(10);

    // A search_path without the table's schema, as a background worker may have.
    const job = (await jobOf('audit_log_retention'))!.job_id;
    const { search_path: path } = await one('SHOW search_path');
    await pool.query('SET search_path = pg_catalog');
    try {
      await pool.query(`CALL public.run_job(${job})`);
    } finally {
      await pool.query(`SET search_path = ${path}`);
    }
    expect(await boundaries()).toEqual([boundary(null, 1), boundary(WS_A, 10), boundary(WS_B, 3)]);
    const left = await pool.query(`SELECT workspace_id::text AS ws, chain_seq::int AS seq FROM audit_log ORDER BY occurred_at`);
    expect(left.rows).toEqual([11, 12, 13, 14, 15].map((seq) => ({ ws: WS_A, seq })));
    const oldest = await one(
      `SELECT min(range_start) AS first FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = 'audit_log'`,
      [schema],
    );
    expect(oldest.first.getTime()).toBeGreaterThan(Date.now() - 32 * DAY);

    // Nothing left to drop: nothing recorded again.
    await pool.query(`CALL run_job(${(await jobOf('audit_log_retention'))!.job_id})`);
    expect(await boundaries()).toHaveLength(3);
  });

  it('fails closed: when the boundary cannot be recorded, no chunk is dropped', async () => {
    const table = 'audit_refused';
    await migrateAudit(pool, { ...OPTIONS, table });
    await insertChained(table, [{ n: 1, workspaceId: WS_A, seq: 1, daysAgo: 40 }]);
    await pool.query(`CREATE FUNCTION refuse_checkpoint() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'checkpoints unavailable'; END $$`);
    await pool.query(`CREATE TRIGGER refuse BEFORE INSERT ON ${table}_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_checkpoint()`);
    await expect(pool.query(`CALL run_job(${(await jobOf(`${table}_retention`))!.job_id})`)).rejects.toThrow('checkpoints unavailable');
    expect((await one(`SELECT count(*)::int AS n FROM ${table}`)).n).toBe(1);
  });

  it("replaces the retention policy of a table migrated by an earlier version, keeping that policy's drop_after", async () => {
    const table = 'audit_upgraded';
    await migrateAudit(pool, { ...OPTIONS, table });
    // As an earlier version left it: a retention policy, no job of the package.
    await pool.query(`SELECT delete_job(${(await jobOf(`${table}_retention`))!.job_id})`);
    await pool.query(`SELECT add_retention_policy('${table}', drop_after => INTERVAL '90 days')`);
    await migrateAudit(pool, { ...OPTIONS, table, retainFor: '365 days' });
    const policies = await one(`SELECT count(*)::int AS n FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = $1`, [
      table,
    ]);
    expect(policies.n).toBe(0);
    expect((await jobOf(`${table}_retention`))!.config).toMatchObject({ drop_after: '90 days' });
  });
});
