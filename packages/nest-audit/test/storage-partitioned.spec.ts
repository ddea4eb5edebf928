import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateAudit } from '../src/storage/audit-migration';
import { dropExpiredAuditPartitions, ensureAuditPartitions, listAuditPartitions, maintainAuditPartitions } from '../src/storage/audit-partitions';
import { AuditStorageError } from '../src/storage/audit-storage.errors';
import { clearAuditTable } from './support/audit-maintenance';
import { auditTableColumns, expectedAuditColumns, insertAuditRows, testUuid } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-00000000000a';
const DAY = 86_400_000;

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'no error',
    (error: unknown) => (error instanceof AuditStorageError ? error.code : ((error as { code?: string }).code ?? String(error))),
  );

describe('audit storage without TimescaleDB (native partitions, PostgreSQL 17)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const count = async (where = 'true') => Number((await pool.query(`SELECT count(*) AS n FROM audit_log WHERE ${where}`)).rows[0].n);

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_storage' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('detects that TimescaleDB is absent and creates a range-partitioned table with monthly partitions', async () => {
    const now = new Date();
    const result = await migrateAudit(pool, { timescale: 'auto' });
    expect(result.mode).toBe('partitioned');
    expect(result.reason).toBe('the timescaledb extension is not available on this server');
    expect(result.createdPartitions).toHaveLength(5); // previous month, this one, two ahead, DEFAULT
    expect(result.createdPartitions.at(-1)).toBe('audit_log_default');

    const kind = await pool.query(`SELECT c.relkind::text AS kind, pg_get_partkeydef(c.oid) AS key FROM pg_class c WHERE c.oid = 'audit_log'::regclass`);
    expect(kind.rows[0]).toEqual({ kind: 'p', key: 'RANGE (occurred_at)' });
    const partitions = await listAuditPartitions(pool);
    expect(partitions.every((p) => p.from !== null && p.to !== null)).toBe(true); // ranges only: DEFAULT is not listed
    const defaults = await pool.query(`SELECT partdefid::regclass::text AS name FROM pg_partitioned_table WHERE partrelid = 'audit_log'::regclass`);
    expect(defaults.rows).toEqual([{ name: 'audit_log_default' }]);
    const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    expect(partitions.map((p) => p.from!.getTime())).toEqual([-1, 0, 1, 2].map((m) => Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + m, 1)));
    expect(partitions.find((p) => p.from!.getTime() === thisMonth)!.to!.getTime()).toBe(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  });

  it('has exactly the audit columns, the primary key (id, occurred_at) and the query indexes', async () => {
    expect(await auditTableColumns(pool)).toEqual(expectedAuditColumns());
    const pk = await pool.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'audit_log'::regclass AND contype = 'p'`);
    expect(pk.rows).toEqual([{ def: 'PRIMARY KEY (id, occurred_at)' }]);
    const indexes = await pool.query(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_log' ORDER BY indexname`);
    expect(indexes.rows.map((r) => r.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree (workspace_id, chain_seq) WHERE (chain_seq IS NOT NULL)',
      'btree (id, occurred_at)',
      'btree (workspace_id, subject, subject_id, occurred_at DESC, id DESC)',
      'btree (workspace_id, occurred_at DESC, id DESC)',
    ]);
  });

  it('is idempotent, also when several processes migrate at once', async () => {
    const results = await Promise.all([migrateAudit(pool), migrateAudit(pool), migrateAudit(pool, { timescale: false })]);
    expect(results.map((r) => [r.mode, r.createdPartitions])).toEqual([
      ['partitioned', []],
      ['partitioned', []],
      ['partitioned', []],
    ]);
    const fresh = await Promise.all([1, 2, 3].map(() => migrateAudit(pool, { table: 'audit_race', partitionInterval: 'day' })));
    expect(fresh.flatMap((r) => r.createdPartitions)).toHaveLength(10); // created once: yesterday, today, 7 ahead, DEFAULT
  });

  it('takes rows for current dates, and rows past the last partition too (in DEFAULT, until the upkeep moves them)', async () => {
    await insertAuditRows(pool, [
      { id: testUuid(1), occurredAt: new Date(), workspaceId: WS },
      { id: testUuid(2), occurredAt: new Date(Date.now() - DAY), workspaceId: null, actorKind: 'System' },
    ]);
    expect(await count()).toBe(2);
    const far = new Date(Date.now() + 400 * DAY);
    const farMonth = `audit_log_p${far.toISOString().slice(0, 7).replace('-', '')}`;
    await insertAuditRows(pool, [{ id: testUuid(3), occurredAt: far, workspaceId: WS }]);
    expect(await count(`tableoid = 'audit_log_default'::regclass`)).toBe(1);

    // Ensuring a later date fills every month from the last partition on: no gap is left behind,
    // and the row waiting in DEFAULT moves to its month.
    const created = await ensureAuditPartitions(pool, { now: far, ahead: 0 });
    expect(created.at(-1)).toBe(farMonth);
    const partitions = await listAuditPartitions(pool);
    expect(partitions.slice(1).every((p, i) => p.from!.getTime() === partitions[i]!.to!.getTime())).toBe(true);
    expect(await count(`tableoid = '${farMonth}'::regclass`)).toBe(1);
    expect(await count(`tableoid = 'audit_log_default'::regclass`)).toBe(0);
    expect(await count()).toBe(3);
    await clearAuditTable(pool);
  });

  it('drops only the partitions entirely older than the retention, with their rows', async () => {
    const now = new Date();
    const from = new Date(now.getTime() - 430 * DAY);
    const created = await ensureAuditPartitions(pool, { from });
    expect(created.length).toBeGreaterThanOrEqual(13);
    // One row every 5 days over 425 days, and one right now.
    const rows = Array.from({ length: 86 }, (_, i) => ({ id: testUuid(100 + i), occurredAt: new Date(now.getTime() - i * 5 * DAY), workspaceId: WS }));
    await insertAuditRows(pool, rows);

    const before = await listAuditPartitions(pool);
    const { rows: cutoffRows } = await pool.query(`SELECT now() - interval '365 days' AS cutoff`);
    const cutoff: Date = cutoffRows[0].cutoff;
    const expired = before.filter((p) => p.to! <= cutoff).map((p) => p.name);
    expect(expired.length).toBeGreaterThanOrEqual(1);

    const dropped = await dropExpiredAuditPartitions(pool, { retainFor: '365 days' });
    expect(dropped).toEqual(expired);
    const after = await listAuditPartitions(pool);
    expect(after.map((p) => p.name)).toEqual(before.map((p) => p.name).filter((name) => !expired.includes(name)));

    // Rows in dropped partitions are gone; every row newer than the cutoff is still there, and so
    // are older rows that share a partition with newer ones (retention rounds up to a whole month).
    const oldestKept = after[0]!.from!;
    expect(await count()).toBe(rows.filter((r) => r.occurredAt >= oldestKept).length);
    expect(await count(`occurred_at >= now() - interval '365 days'`)).toBe(rows.filter((r) => r.occurredAt.getTime() > now.getTime() - 365 * DAY).length);
    expect(oldestKept.getTime()).toBeLessThanOrEqual(cutoff.getTime());

    expect(await dropExpiredAuditPartitions(pool, { retainFor: '365 days' })).toEqual([]); // nothing left to drop
  });

  it('partitions by day in a schema of its own, and keeps the interval the table already uses', async () => {
    const now = new Date('2026-03-10T12:00:00Z');
    const result = await migrateAudit(pool, { table: 'events', schema: 'audit', partitionInterval: 'day', partitionsAhead: 2, now });
    expect(result.createdPartitions).toEqual(['events_p20260309', 'events_p20260310', 'events_p20260311', 'events_p20260312', 'events_default']);
    const partitions = await listAuditPartitions(pool, { table: 'events', schema: 'audit' });
    expect(partitions.every((p) => p.schema === 'audit')).toBe(true);

    // Unset interval: the existing daily layout wins over the monthly default.
    const later = await maintainAuditPartitions(pool, {
      table: 'events',
      schema: 'audit',
      now: new Date('2026-03-12T01:00:00Z'),
      ahead: 1,
      retainFor: '2 days',
    });
    expect(later).toEqual({ created: ['events_p20260313'], dropped: ['events_p20260309'], movedFromDefault: 0, expiredFromDefault: 0, leftInDefault: 0 });
    expect(await codeOf(ensureAuditPartitions(pool, { table: 'events', schema: 'audit', interval: 'month' }))).toBe('AUDIT_PARTITION_INTERVAL_MISMATCH');
  });

  it('fails with typed errors when TimescaleDB is required, the layout does not match, or the table is missing', async () => {
    expect(await codeOf(migrateAudit(pool, { timescale: true, table: 'audit_ts' }))).toBe('AUDIT_TIMESCALE_UNAVAILABLE');
    await pool.query('CREATE TABLE audit_plain (id uuid)');
    expect(await codeOf(migrateAudit(pool, { table: 'audit_plain' }))).toBe('AUDIT_TABLE_LAYOUT_MISMATCH');
    expect(await codeOf(dropExpiredAuditPartitions(pool, { table: 'audit_plain' }))).toBe('AUDIT_TABLE_NOT_PARTITIONED');
    expect(await codeOf(ensureAuditPartitions(pool, { table: 'audit_missing' }))).toBe('AUDIT_TABLE_NOT_PARTITIONED');
    expect(await codeOf(migrateAudit(pool, { timescale: 'yes' as never }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(await codeOf(dropExpiredAuditPartitions(pool, { retainFor: '1 day; DROP TABLE audit_log' }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(await pool.query(`SELECT to_regclass('audit_ts') AS t`)).toMatchObject({ rows: [{ t: null }] }); // rolled back
  });
});
