import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAudit } from '../src/storage/audit-migration';
import { dropExpiredAuditPartitions, ensureAuditPartitions, listAuditPartitions, maintainAuditPartitions } from '../src/storage/audit-partitions';
import { insertAuditRows, testUuid } from './support/storage-rows';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const WS_C = '0190a0b2-0000-7000-8000-0000000000c3';
const NIL = '00000000-0000-0000-0000-000000000000';
const DAY = 86_400_000;
const hashOf = (workspace: string | null, seq: number) => createHash('sha256').update(`${workspace}:${seq}`).digest();

/** A chained row (chain columns as the writer fills them; only seq and hash matter to retention). */
interface ChainedRow {
  n: number;
  workspaceId: string | null;
  seq: number | null;
  daysAgo: number;
}

async function insertChained(db: pg.Pool, rows: ChainedRow[]): Promise<void> {
  await insertAuditRows(
    db,
    rows.map((r) => ({ id: testUuid(r.n), occurredAt: new Date(Date.now() - r.daysAgo * DAY), workspaceId: r.workspaceId })),
  );
  for (const r of rows.filter((row) => row.seq !== null)) {
    // Chain columns are written at insert by the writer; here (test setup) they are set as maintenance.
    await db.query(
      `SELECT set_config('acme_audit.maintenance', 'on', true); UPDATE audit_log SET chain_seq = ${r.seq}, chain_hash = '\\x${hashOf(r.workspaceId, r.seq!).toString('hex')}' WHERE id = '${testUuid(r.n)}'`,
    );
  }
}

describe('retention boundaries on native partitions (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const boundaries = async () =>
    (
      await pool.query(
        `SELECT workspace_id::text AS ws, seq::int AS seq, encode(hash, 'hex') AS hash FROM audit_log_checkpoints WHERE kind = 'Retention Boundary' ORDER BY workspace_id, seq`,
      )
    ).rows;
  const boundary = (ws: string | null, seq: number) => ({ ws: ws ?? NIL, seq, hash: hashOf(ws, seq).toString('hex') });

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_retention' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await migrateAudit(pool, { timescale: false, partitionInterval: 'month' });
    await ensureAuditPartitions(pool, { from: new Date(Date.now() - 500 * DAY) });
    await insertChained(pool, [
      // A: six old entries, two recent; B: only old ones; entries without a workspace; one unchained old row.
      ...[1, 2, 3, 4, 5, 6].map((seq) => ({ n: seq, workspaceId: WS_A, seq, daysAgo: 480 - seq * 10 })),
      { n: 7, workspaceId: WS_A, seq: 7, daysAgo: 20 },
      { n: 8, workspaceId: WS_A, seq: 8, daysAgo: 1 },
      ...[1, 2, 3].map((seq) => ({ n: 20 + seq, workspaceId: WS_B, seq, daysAgo: 470 - seq })),
      { n: 31, workspaceId: null, seq: 1, daysAgo: 450 },
      { n: 32, workspaceId: null, seq: 2, daysAgo: 440 },
      { n: 40, workspaceId: WS_C, seq: null, daysAgo: 460 },
      // Far in the past: the DEFAULT partition holds it, and retention deletes it there.
      { n: 50, workspaceId: WS_C, seq: 4, daysAgo: 365 * 30 },
    ]);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('records per workspace the newest dropped entry (seq and hash) as a Retention Boundary, in the transaction that drops', async () => {
    const before = (await listAuditPartitions(pool)).length;
    const dropped = await dropExpiredAuditPartitions(pool, { retainFor: '365 days' });
    expect(dropped.length).toBeGreaterThanOrEqual(2);
    expect((await listAuditPartitions(pool)).length).toBe(before - dropped.length);
    expect(await boundaries()).toEqual([boundary(null, 2), boundary(WS_A, 6), boundary(WS_B, 3), boundary(WS_C, 4)]);
    // Only the expired rows are gone: the chains go on after their boundary.
    const left = await pool.query(`SELECT workspace_id::text AS ws, chain_seq::int AS seq FROM audit_log ORDER BY chain_seq`);
    expect(left.rows).toEqual([
      { ws: WS_A, seq: 7 },
      { ws: WS_A, seq: 8 },
    ]);
  });

  it('a later run records a new boundary above the old one and keeps both (the verifier starts after the highest)', async () => {
    expect(await dropExpiredAuditPartitions(pool, { retainFor: '365 days' })).toEqual([]);
    expect(await boundaries()).toHaveLength(4); // nothing new dropped, nothing recorded
    // The upkeep's retention, two months on: the rest of A's chain expires.
    const upkeep = await maintainAuditPartitions(pool, { retainFor: '10 days', now: new Date(Date.now() + 60 * DAY) });
    expect(upkeep.dropped.length).toBeGreaterThan(0);
    expect(await boundaries()).toEqual([boundary(null, 2), boundary(WS_A, 6), boundary(WS_A, 8), boundary(WS_B, 3), boundary(WS_C, 4)]);
    expect(Number((await pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n)).toBe(0);
  });

  it('fails closed: when the boundary cannot be recorded, nothing is dropped', async () => {
    const other = await createTestDatabase({ prefix: 'audit_retention_fail' });
    const db = new pg.Pool({ connectionString: other.url, max: 2 });
    try {
      await migrateAudit(db, { timescale: false });
      await ensureAuditPartitions(db, { from: new Date(Date.now() - 500 * DAY) });
      await insertChained(db, [{ n: 1, workspaceId: WS_A, seq: 1, daysAgo: 450 }]);
      await db.query(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'checkpoints unavailable'; END $$`);
      await db.query(`CREATE TRIGGER refuse BEFORE INSERT ON audit_log_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse()`);
      const partitions = (await listAuditPartitions(db)).length;
      await expect(dropExpiredAuditPartitions(db, { retainFor: '365 days' })).rejects.toThrow('checkpoints unavailable');
      expect((await listAuditPartitions(db)).length).toBe(partitions);
      expect(Number((await db.query('SELECT count(*) AS n FROM audit_log')).rows[0].n)).toBe(1);
    } finally {
      await db.end();
      await other.drop();
    }
  });
});
