import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditIndexesSql, auditTableSql } from '../src/storage/audit-table.sql';
import { migrateAudit } from '../src/storage/audit-migration';
import { createPartitionSql, partitionRange } from '../src/storage/audit-partition-range';
import { dropExpiredAuditPartitions, ensureAuditPartitions, listAuditPartitions, maintainAuditPartitions } from '../src/storage/audit-partitions';
import { auditTableName } from '../src/storage/sql-identifier';
import { auditTableColumns, expectedAuditColumns, insertAuditRows, testUuid, type StorageTestRow } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-00000000000d';
const DAY = 86_400_000;

/** `<table>_pYYYYMM`: the monthly partition an instant belongs to. */
const monthOf = (table: string, at: Date) => `${table}_p${at.toISOString().slice(0, 7).replace('-', '')}`;
/** A UTC instant `months` calendar months from now, on `day` of that month. */
const monthsFromNow = (months: number, day = 15, hour = 12) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + months, day, hour));
};

describe('audit storage without TimescaleDB: the DEFAULT partition and its upkeep (PostgreSQL 17)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  /** Where each row is stored: id -> partition name. */
  const placement = async (table: string): Promise<Record<string, string>> =>
    Object.fromEntries((await pool.query(`SELECT id, tableoid::regclass::text AS part FROM "${table}"`)).rows.map((r) => [r.id, r.part]));
  const countIn = async (relation: string) => Number((await pool.query(`SELECT count(*) AS n FROM ONLY "${relation}"`)).rows[0].n);
  /** Index and primary key definitions of a partition, with its own name replaced by P. */
  const shape = async (partition: string) => {
    const indexes = await pool.query('SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname', [partition]);
    const keys = await pool.query(
      `SELECT conname, pg_get_constraintdef(oid) AS def, conparentid <> 0 AS attached FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'`,
      [partition],
    );
    const attached = await pool.query(
      `SELECT count(*)::int AS n FROM pg_inherits i JOIN pg_index x ON x.indexrelid = i.inhrelid WHERE x.indrelid = to_regclass($1) AND x.indisvalid`,
      [partition],
    );
    return JSON.parse(JSON.stringify({ indexes: indexes.rows, keys: keys.rows, attached: attached.rows[0].n }).replaceAll(partition, 'P'));
  };

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_default' });
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('stores entries dated past the created partitions (3 years ahead, 11 months back); the upkeep moves each into its month', async () => {
    const table = 'audit_wild';
    await migrateAudit(pool, { table, timescale: false });
    const ahead = monthsFromNow(36);
    const back = monthsFromNow(-11, 10, 8);
    const rows: StorageTestRow[] = [
      { id: testUuid(1), occurredAt: ahead, workspaceId: WS },
      { id: testUuid(2), occurredAt: new Date(ahead.getTime() + 3_600_000), workspaceId: WS },
      { id: testUuid(3), occurredAt: back, workspaceId: WS },
      { id: testUuid(4), occurredAt: new Date(), workspaceId: WS },
    ];
    await insertAuditRows(pool, rows, `"${table}"`); // the write succeeds: DEFAULT takes what no range covers
    const current = monthOf(table, new Date());
    expect(await placement(table)).toEqual({
      [testUuid(1)]: `${table}_default`,
      [testUuid(2)]: `${table}_default`,
      [testUuid(3)]: `${table}_default`,
      [testUuid(4)]: current,
    });

    const upkeep = await maintainAuditPartitions(pool, { table });
    expect(upkeep).toEqual({
      created: [monthOf(table, back), monthOf(table, ahead)],
      dropped: [],
      movedFromDefault: 3,
      expiredFromDefault: 0,
      leftInDefault: 0,
    });
    expect(await placement(table)).toEqual({
      [testUuid(1)]: monthOf(table, ahead),
      [testUuid(2)]: monthOf(table, ahead),
      [testUuid(3)]: monthOf(table, back),
      [testUuid(4)]: current,
    });
    expect(await countIn(`${table}_default`)).toBe(0);

    // A partition built by the move is indistinguishable from one created with PARTITION OF:
    // same columns, primary key and indexes (names included), attached to the parent's.
    for (const moved of [monthOf(table, ahead), monthOf(table, back)]) {
      expect(await auditTableColumns(pool, moved)).toEqual(expectedAuditColumns());
      expect(await shape(moved)).toEqual(await shape(current));
    }
    expect((await shape(current)).attached).toBe(4); // primary key, the two query indexes, the chain index
    // ... so a retried write of a moved row is still a no-op (ON CONFLICT on the primary key).
    const retry = await pool.query(`INSERT INTO "${table}" SELECT * FROM "${table}" WHERE id = $1 ON CONFLICT DO NOTHING`, [testUuid(3)]);
    expect(retry.rowCount).toBe(0);

    // Idempotent: a second run finds nothing to do.
    expect(await maintainAuditPartitions(pool, { table })).toEqual({ created: [], dropped: [], movedFromDefault: 0, expiredFromDefault: 0, leftInDefault: 0 });
    const ranges = await listAuditPartitions(pool, { table });
    expect(ranges.map((p) => p.name)).toContain(monthOf(table, ahead));
    expect(ranges.some((p) => p.name.endsWith('_default'))).toBe(false);
  });

  it('creates the next partitions through DEFAULT rows of the same months (a partition is never refused for rows waiting in DEFAULT)', async () => {
    const table = 'audit_next';
    // Only this month exists (as a process that last ran long ago left it) ...
    await migrateAudit(pool, { table, timescale: false, partitionsAhead: 0, now: monthsFromNow(0) });
    await pool.query(`DROP TABLE "${monthOf(table, monthsFromNow(-1))}"`);
    // ... and rows for the next two months arrived before their partitions.
    const rows = [1, 2].map((m, i) => ({ id: testUuid(10 + i), occurredAt: monthsFromNow(m, 2), workspaceId: WS }));
    await insertAuditRows(pool, rows, `"${table}"`);
    expect(await countIn(`${table}_default`)).toBe(2);

    const created = await ensureAuditPartitions(pool, { table });
    expect(created).toEqual([-1, 1, 2].map((m) => monthOf(table, monthsFromNow(m))));
    expect(await placement(table)).toEqual({ [testUuid(10)]: monthOf(table, monthsFromNow(1)), [testUuid(11)]: monthOf(table, monthsFromNow(2)) });
    expect(await countIn(`${table}_default`)).toBe(0);
  });

  it('is safe when processes run the upkeep at once while entries keep arriving: every row kept once, each month created once', async () => {
    const table = 'audit_busy';
    // Partitions as a deployment that last ran four months ago left them: this month and the
    // next two are missing too, and rows wait in DEFAULT for some of those.
    await migrateAudit(pool, { table, timescale: false, now: monthsFromNow(-4) });
    const months = [-9, -7, 0, 1, 5, 14, 26, 40];
    let n = 100;
    const row = (m: number): StorageTestRow => ({ id: testUuid(n++), occurredAt: monthsFromNow(m, 1 + (n % 27), n % 24), workspaceId: WS });
    await insertAuditRows(pool, [...months, ...months].map(row), `"${table}"`);

    // One row at a time into those months, for as long as the upkeeps run.
    let running = true;
    const writer = (async () => {
      for (let i = 0; running; i++) await insertAuditRows(pool, [row(months[i % months.length]!)], `"${table}"`);
    })();
    const results = await Promise.all([
      maintainAuditPartitions(pool, { table }),
      maintainAuditPartitions(pool, { table }),
      maintainAuditPartitions(pool, { table }),
      ensureAuditPartitions(pool, { table }).then((created) => ({ created })),
    ]).finally(() => (running = false));
    await writer;

    const created = results.flatMap((r) => r.created);
    const expected = [...new Set([...months, -1, 0, 1, 2])].map((m) => monthOf(table, monthsFromNow(m)));
    expect([...created].sort()).toEqual(expected.sort()); // each month created once, by one of them

    const last = await maintainAuditPartitions(pool, { table });
    expect(last).toMatchObject({ created: [], leftInDefault: 0 });
    const where = await placement(table);
    expect(Object.keys(where)).toHaveLength(n - 100); // every row written is there, once
    const { rows } = await pool.query(`SELECT id, occurred_at FROM "${table}"`);
    for (const { id, occurred_at } of rows) expect({ id, part: where[id] }).toEqual({ id, part: monthOf(table, occurred_at) });
  });

  it('adds the DEFAULT partition to a table migrated without one, so writes past its partitions stop failing', async () => {
    const table = 'audit_legacy';
    const name = auditTableName(table, undefined);
    // The layout older versions created: range partitions only.
    for (const sql of [auditTableSql(name, true), ...auditIndexesSql(name)]) await pool.query(sql);
    for (const m of [-1, 0, 1, 2]) await pool.query(createPartitionSql(name, partitionRange(table, monthsFromNow(m, 1, 0), 'month'), false));
    const far: StorageTestRow = { id: testUuid(200), occurredAt: monthsFromNow(30), workspaceId: WS };
    await expect(insertAuditRows(pool, [far], `"${table}"`)).rejects.toMatchObject({ code: '23514' }); // no partition of relation found for row

    const result = await migrateAudit(pool, { table });
    expect(result.createdPartitions).toEqual([`${table}_default`]);
    await insertAuditRows(pool, [far], `"${table}"`);
    expect(await placement(table)).toEqual({ [far.id]: `${table}_default` });
    expect((await maintainAuditPartitions(pool, { table })).created).toEqual([monthOf(table, monthsFromNow(30))]);
    expect(await placement(table)).toEqual({ [far.id]: monthOf(table, monthsFromNow(30)) });
  });

  it('retention deletes expired rows sitting in DEFAULT, keeps the rest, and leaves rows it cannot place there', async () => {
    const table = 'audit_old';
    await migrateAudit(pool, { table, timescale: false });
    const rows: StorageTestRow[] = [
      { id: testUuid(300), occurredAt: new Date(Date.now() - 800 * DAY), workspaceId: WS },
      { id: testUuid(301), occurredAt: monthsFromNow(-14), workspaceId: WS },
      { id: testUuid(302), occurredAt: '-infinity', workspaceId: WS },
      { id: testUuid(303), occurredAt: monthsFromNow(-11, 10), workspaceId: WS },
      { id: testUuid(304), occurredAt: 'infinity', workspaceId: WS },
    ];
    await insertAuditRows(pool, rows, `"${table}"`);
    expect(await countIn(`${table}_default`)).toBe(5);

    expect(await dropExpiredAuditPartitions(pool, { table, retainFor: '365 days' })).toEqual([]);
    expect(Object.keys(await placement(table)).sort()).toEqual([testUuid(303), testUuid(304)]);

    // Through the upkeep: expired rows counted, the one within retention moved, 'infinity' left (and reported).
    await insertAuditRows(pool, [rows[0]!, rows[1]!], `"${table}"`);
    const upkeep = await maintainAuditPartitions(pool, { table, retainFor: '365 days' });
    expect(upkeep).toMatchObject({ created: [monthOf(table, monthsFromNow(-11))], movedFromDefault: 1, expiredFromDefault: 2, leftInDefault: 1 });
    expect(await placement(table)).toEqual({ [testUuid(303)]: monthOf(table, monthsFromNow(-11)), [testUuid(304)]: `${table}_default` });
  });
});
