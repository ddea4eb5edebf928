import { describe, expect, it } from 'vitest';
import { auditMigrationSql } from '../src/storage/audit-migration';
import { AuditStorageError } from '../src/storage/audit-storage.errors';

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof AuditStorageError ? error.code : String(error);
  }
  return 'no error';
};

describe('auditMigrationSql', () => {
  it('builds the hypertable, columnstore, policies and daily aggregate with the given settings', () => {
    const sql = auditMigrationSql({ timescale: true, chunkInterval: '12 hours', compressAfter: '3 days', retainFor: '90 days' }).join(';\n');
    expect(sql).toContain(`create_hypertable('"audit_log"', by_range('occurred_at', INTERVAL '12 hours')`);
    expect(sql).toContain("timescaledb.segmentby = 'workspace_id', timescaledb.orderby = 'occurred_at DESC, id DESC'");
    expect(sql).toContain(`add_columnstore_policy('"audit_log"', after => INTERVAL '3 days', if_not_exists => true)`);
    // Retention: the package's job (records retention boundaries, then drop_chunks) in place of a retention policy.
    expect(sql).toContain('CREATE OR REPLACE PROCEDURE "audit_log_retention"(job_id integer, config jsonb)');
    expect(sql).toContain(`PERFORM remove_retention_policy(hypertable, if_exists => true)`);
    expect(sql).toContain(`jsonb_build_object('drop_after', COALESCE(drop_after, '90 days'))`);
    expect(sql).not.toContain('add_retention_policy');
    expect(sql).toContain('CREATE MATERIALIZED VIEW IF NOT EXISTS "audit_log_daily" WITH (timescaledb.continuous)');
    expect(sql).not.toContain('PARTITION');
  });

  it('defaults to 1 day chunks, compression after 7 days and retention of 365 days', () => {
    const sql = auditMigrationSql({ timescale: true }).join('\n');
    expect(sql).toContain("INTERVAL '1 day')");
    expect(sql).toContain("after => INTERVAL '7 days'");
    expect(sql).toContain("COALESCE(drop_after, '365 days')");
  });

  it('qualifies every name with the schema when one is given', () => {
    const sql = auditMigrationSql({ timescale: true, table: 'events', schema: 'Audit' });
    expect(sql[0]).toBe('CREATE SCHEMA IF NOT EXISTS "Audit"');
    expect(sql.join('\n')).toContain('"Audit"."events_daily"');
    expect(sql.join('\n')).not.toMatch(/FROM "events"|ON "events"/);
    const partitioned = auditMigrationSql({ timescale: false, table: 'events', schema: 'Audit' });
    expect(partitioned.filter((s) => s.includes('PARTITION OF')).at(-1)).toBe(
      'CREATE TABLE IF NOT EXISTS "Audit"."events_default" PARTITION OF "Audit"."events" DEFAULT',
    );
    expect(partitioned.filter((s) => s.includes('PARTITION OF')).every((s) => s.startsWith('CREATE TABLE IF NOT EXISTS "Audit"."events_'))).toBe(true);
  });

  it('creates monthly partitions from the previous month to two months ahead, in UTC, then the DEFAULT partition', () => {
    const sql = auditMigrationSql({ timescale: false, now: new Date('2026-12-31T23:30:00-05:00') }); // 2027-01-01 04:30 UTC
    const partitions = sql.filter((s) => s.includes('PARTITION OF'));
    expect(partitions).toEqual([
      `CREATE TABLE IF NOT EXISTS "audit_log_p202612" PARTITION OF "audit_log" FOR VALUES FROM ('2026-12-01T00:00:00.000Z') TO ('2027-01-01T00:00:00.000Z')`,
      `CREATE TABLE IF NOT EXISTS "audit_log_p202701" PARTITION OF "audit_log" FOR VALUES FROM ('2027-01-01T00:00:00.000Z') TO ('2027-02-01T00:00:00.000Z')`,
      `CREATE TABLE IF NOT EXISTS "audit_log_p202702" PARTITION OF "audit_log" FOR VALUES FROM ('2027-02-01T00:00:00.000Z') TO ('2027-03-01T00:00:00.000Z')`,
      `CREATE TABLE IF NOT EXISTS "audit_log_p202703" PARTITION OF "audit_log" FOR VALUES FROM ('2027-03-01T00:00:00.000Z') TO ('2027-04-01T00:00:00.000Z')`,
      'CREATE TABLE IF NOT EXISTS "audit_log_default" PARTITION OF "audit_log" DEFAULT',
    ]);
    expect(sql.join('\n')).toContain('PARTITION BY RANGE ("occurred_at")');
    expect(sql.join('\n')).not.toContain('timescaledb');
  });

  it('creates daily partitions across a leap day', () => {
    const sql = auditMigrationSql({ timescale: false, partitionInterval: 'day', partitionsAhead: 1, now: new Date('2028-02-29T12:00:00Z') });
    expect(sql.filter((s) => s.includes('PARTITION OF')).map((s) => s.match(/"(audit_log_(?:p\d+|default))"/)![1])).toEqual([
      'audit_log_p20280228',
      'audit_log_p20280229',
      'audit_log_p20280301',
      'audit_log_default',
    ]);
  });

  it('rejects identifiers and intervals that are not plain, before any SQL is built', () => {
    expect(codeOf(() => auditMigrationSql({ timescale: true, table: 'audit_log"; DROP TABLE users; --' }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: true, schema: 'public.x' }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: true, table: 'a'.repeat(41) }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: true, retainFor: "1 day'); DROP TABLE users; --" }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: true, chunkInterval: 'often' }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: false, retainFor: '' }))).toBe('AUDIT_INVALID_STORAGE_OPTIONS');
    expect(codeOf(() => auditMigrationSql({ timescale: true, retainFor: '1 year 6 months' }))).toBe('no error');
  });
});
