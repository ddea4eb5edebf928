import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAudit } from '../src/storage/audit-migration';
import { insertAuditRows, testUuid } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-00000000000a';
const DAY = 86_400_000;

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: { code?: string; message: string }) => ({ code: error.code, message: error.message }),
  );
const REFUSED = (op: string) => ({
  code: '42501',
  message: expect.stringMatching(new RegExp(`^audit table (\\w+\\.)?audit_log is append-only: ${op} refused`)),
});

// The embedded TimescaleDB (PGlite) serves one connection at a time: a pool of one.
describe('append-only guard on a TimescaleDB hypertable', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const one = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows[0];
  const count = async (where = 'true') => Number((await one(`SELECT count(*) AS n FROM audit_log WHERE ${where}`)).n);
  /** Runs statements in one transaction that set the maintenance flag (one connection: no pool checkout needed). */
  const maintenance = async (...statements: string[]) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
      for (const statement of statements) await client.query(statement);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };

  beforeAll(async () => {
    database = await createTestDatabase({ server: 'timescale', prefix: 'audit_guard_ts' });
    pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    await migrateAudit(pool, { timescale: true, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '365 days' });
    const now = Date.now();
    await insertAuditRows(
      pool,
      Array.from({ length: 30 }, (_, i) => ({ id: testUuid(i + 1), occurredAt: new Date(now - i * DAY), workspaceId: WS })),
    );
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the hypertable and of its chunks', async () => {
    const chunk = (await one(`SELECT c::text AS name FROM show_chunks('audit_log') c LIMIT 1`)).name;
    expect(await refusal(pool.query(`UPDATE audit_log SET action = 'Forged'`))).toEqual(REFUSED('UPDATE'));
    expect(await refusal(pool.query(`DELETE FROM audit_log WHERE id = $1`, [testUuid(1)]))).toEqual(REFUSED('DELETE'));
    expect(await refusal(pool.query(`TRUNCATE audit_log`))).toEqual(REFUSED('TRUNCATE'));
    expect(await refusal(pool.query(`DELETE FROM ${chunk}`))).toEqual(REFUSED('DELETE'));
    // TimescaleDB copies only row triggers onto new chunks: the daily retention job (and the
    // migration) give each chunk the TRUNCATE trigger.
    const retention = (await one(`SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'audit_log_retention'`)).job_id;
    await pool.query(`CALL run_job(${retention})`);
    expect(await refusal(pool.query(`TRUNCATE ${chunk}`))).toEqual(REFUSED('TRUNCATE'));
    expect(await count()).toBe(30);
  });

  it('compresses chunks with the guard on (the columnstore policy), and refuses changes to compressed rows too', async () => {
    const job = (await one(`SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_compression' AND hypertable_name = 'audit_log'`)).job_id;
    await pool.query(`CALL run_job(${job})`);
    const compressed = Number((await one(`SELECT count(*) AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'audit_log' AND is_compressed`)).n);
    expect(compressed).toBeGreaterThanOrEqual(20);
    const old = testUuid(25);
    expect(await refusal(pool.query(`UPDATE audit_log SET action = 'Forged' WHERE id = $1`, [old]))).toEqual(REFUSED('UPDATE'));
    expect(await refusal(pool.query(`DELETE FROM audit_log WHERE id = $1`, [old]))).toEqual(REFUSED('DELETE'));
    // A filter on the segmentby column alone lets TimescaleDB delete whole compressed batches without decompressing them: still refused.
    expect(await refusal(pool.query(`DELETE FROM audit_log WHERE workspace_id = $1`, [WS]))).toEqual(REFUSED('DELETE'));
    const compressedChunk = (
      await one(
        `SELECT format('%I.%I', chunk_schema, chunk_name) AS name FROM timescaledb_information.chunks WHERE hypertable_name = 'audit_log' AND is_compressed LIMIT 1`,
      )
    ).name;
    // Deleting all of a compressed chunk's rows drops its compressed batches without firing row
    // triggers: the chunk's statement trigger (given by the retention job above) refuses it.
    expect(await refusal(pool.query(`DELETE FROM ${compressedChunk}`))).toEqual(REFUSED('DELETE'));
    expect(await count()).toBe(30);
  });

  it('refreshes the continuous aggregate with the guard on', async () => {
    await pool.query(`CALL refresh_continuous_aggregate('audit_log_daily', NULL, NULL)`);
    expect(Number((await one(`SELECT sum(entries) AS n FROM audit_log_daily`)).n)).toBe(30);
  });

  it('allows UPDATE and DELETE (compressed rows included) and TRUNCATE in a transaction that set acme_audit.maintenance', async () => {
    await maintenance(`UPDATE audit_log SET action = 'Touched' WHERE id = '${testUuid(25)}'`, `DELETE FROM audit_log WHERE id = '${testUuid(26)}'`);
    expect(await count(`action = 'Touched'`)).toBe(1);
    expect(await count()).toBe(29);
    expect(await refusal(pool.query(`DELETE FROM audit_log`))).toEqual(REFUSED('DELETE'));
    await maintenance('TRUNCATE audit_log');
    expect(await count()).toBe(0);
  });
});
