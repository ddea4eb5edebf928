import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditMigrationSql, migrateAudit } from '../src/storage/audit-migration';
import { maintainAuditPartitions } from '../src/storage/audit-partitions';
import { asAuditMaintenance } from './support/audit-maintenance';
import { insertAuditRows, testUuid } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-00000000000a';
const DAY = 86_400_000;

/** The error a statement ends with (code and message), or 'no error'. */
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: { code?: string; message: string; hint?: string }) => ({ code: error.code, message: error.message, hint: error.hint }),
  );

const REFUSED = (op: string) => ({
  code: '42501',
  message: expect.stringMatching(new RegExp(`^audit table (\\w+\\.)?audit_log is append-only: ${op} refused`)),
  hint: expect.stringContaining("set_config('acme_audit.maintenance', 'on', true)"),
});

describe('append-only guard on native partitions (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const count = async (table = 'audit_log') => Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_guard' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await migrateAudit(pool, { timescale: false });
    const now = Date.now();
    await insertAuditRows(
      pool,
      Array.from({ length: 20 }, (_, i) => ({ id: testUuid(i + 1), occurredAt: new Date(now - i * DAY), workspaceId: WS })),
    );
    // One row far ahead lands in the DEFAULT partition.
    await insertAuditRows(pool, [{ id: testUuid(100), occurredAt: new Date(now + 400 * DAY), workspaceId: WS }]);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('refuses UPDATE, DELETE and TRUNCATE of the table, a range partition and the DEFAULT partition, naming the fix', async () => {
    const partition = (await pool.query(`SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'audit_log'::regclass LIMIT 1`)).rows[0]
      .name;
    expect(await refusal(pool.query(`UPDATE audit_log SET action = 'Forged'`))).toEqual(REFUSED('UPDATE'));
    expect(await refusal(pool.query(`DELETE FROM audit_log WHERE id = $1`, [testUuid(1)]))).toEqual(REFUSED('DELETE'));
    expect(await refusal(pool.query(`TRUNCATE audit_log`))).toEqual(REFUSED('TRUNCATE'));
    expect(await refusal(pool.query(`UPDATE ${partition} SET action = 'Forged'`))).toEqual(REFUSED('UPDATE'));
    expect(await refusal(pool.query(`TRUNCATE ${partition}`))).toEqual(REFUSED('TRUNCATE'));
    expect(await refusal(pool.query(`DELETE FROM ONLY audit_log_default`))).toEqual(REFUSED('DELETE'));
    expect(await refusal(pool.query(`TRUNCATE audit_log_default`))).toEqual(REFUSED('TRUNCATE'));
    expect(await count()).toBe(21);
    expect(Number((await pool.query(`SELECT count(*) AS n FROM audit_log WHERE action = 'Forged'`)).rows[0].n)).toBe(0);
  });

  it('still takes inserts', async () => {
    await insertAuditRows(pool, [{ id: testUuid(200), occurredAt: new Date(), workspaceId: WS }]);
    expect(await count()).toBe(22);
  });

  it('allows UPDATE, DELETE and TRUNCATE in a transaction that set acme_audit.maintenance, and only in that transaction', async () => {
    await asAuditMaintenance(pool, async (client) => {
      await client.query(`UPDATE audit_log SET action = 'Touched' WHERE id = $1`, [testUuid(2)]);
      await client.query(`DELETE FROM audit_log WHERE id = $1`, [testUuid(200)]);
    });
    expect((await pool.query(`SELECT action FROM audit_log WHERE id = $1`, [testUuid(2)])).rows).toEqual([{ action: 'Touched' }]);
    expect(await count()).toBe(21);
    // The flag ended with its transaction: the next one is refused again (same pooled connections).
    for (let i = 0; i < 4; i++) expect(await refusal(pool.query(`DELETE FROM audit_log`))).toEqual(REFUSED('DELETE'));
    // Only the value 'on' lets a statement through.
    expect(await refusal(pool.query(`SELECT set_config('acme_audit.maintenance', 'yes', true); DELETE FROM audit_log`))).toEqual(REFUSED('DELETE'));
  });

  it('the partition upkeep moves rows out of DEFAULT and drops expired partitions with the guard on', async () => {
    const upkeep = await maintainAuditPartitions(pool, { retainFor: '15 days', now: new Date(Date.now() + 400 * DAY) });
    expect(upkeep.movedFromDefault).toBe(1);
    expect(upkeep.leftInDefault).toBe(0);
    expect(upkeep.dropped.length).toBeGreaterThan(0);
    expect(await count()).toBe(1);
    // Partitions created by the upkeep are guarded too (TRUNCATE triggers are not cloned by PostgreSQL).
    for (const name of [...upkeep.created, 'audit_log_default']) {
      expect(await refusal(pool.query(`TRUNCATE ${name}`))).toEqual(REFUSED('TRUNCATE'));
    }
  });

  it('auditMigrationSql installs the same guard, and running it again changes nothing', async () => {
    const other = await createTestDatabase({ prefix: 'audit_guard_sql' });
    const client = new pg.Client({ connectionString: other.url });
    await client.connect();
    try {
      for (let run = 0; run < 2; run++) {
        for (const statement of auditMigrationSql({ timescale: false, table: 'audit_log' })) await client.query(statement);
      }
      const triggers = await client.query(
        `SELECT tgrelid::regclass::text AS rel, tgname FROM pg_trigger WHERE tgname LIKE 'audit_log_append_only%' AND tgrelid = 'audit_log'::regclass ORDER BY 2`,
      );
      expect(triggers.rows).toEqual([
        { rel: 'audit_log', tgname: 'audit_log_append_only_rows' },
        { rel: 'audit_log', tgname: 'audit_log_append_only_statements' },
      ]);
      await insertAuditRows(client, [{ id: testUuid(1), occurredAt: new Date(), workspaceId: WS }]);
      expect(await refusal(client.query(`DELETE FROM audit_log`))).toEqual(REFUSED('DELETE'));
      expect(await refusal(client.query(`TRUNCATE audit_log_default`))).toEqual(REFUSED('TRUNCATE'));
    } finally {
      await client.end();
      await other.drop();
    }
  });
});
