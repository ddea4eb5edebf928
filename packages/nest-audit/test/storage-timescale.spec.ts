import { ContextService, ContextModule } from '@acme/nest-context';
import { createRedisNamespace, createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditModule, AuditService, type AuditModuleOptions } from '@acme/nest-audit';
import { AuditQuery } from '../src/query/audit-query';
import { migrateAudit } from '../src/storage/audit-migration';
import { AuditStorageError } from '../src/storage/audit-storage.errors';
import { eventually } from './support/audit-fixture';
import { auditTableColumns, expectedAuditColumns } from './support/storage-rows';

const WS_A = '0190a0b2-0000-7000-8000-0000000000a1';
const WS_B = '0190a0b2-0000-7000-8000-0000000000b2';
const OPTIONS = { chunkInterval: '1 day', compressAfter: '7 days', retainFor: '30 days' };

async function boot(options: AuditModuleOptions): Promise<INestApplicationContext> {
  @Module({ imports: [ContextModule.forRoot(), AuditModule.forRoot(options)] })
  class AppModule {}
  return NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
}

// The embedded TimescaleDB (PGlite) serves one connection at a time: a pool of one that lets it
// go quickly, so other test files can have it in between.
describe('audit storage on TimescaleDB', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let schema: string;
  const one = async <T = any>(sql: string, params: unknown[] = []): Promise<T> => (await pool.query(sql, params)).rows[0];
  const jobId = async (proc: string, table = 'audit_log') =>
    Number(
      (
        await one('SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = $1 AND hypertable_schema = $2 AND hypertable_name = $3', [
          proc,
          schema,
          table,
        ])
      ).job_id,
    );

  const retentionJobId = async (table: string) =>
    Number((await one('SELECT job_id FROM timescaledb_information.jobs WHERE proc_schema = $1 AND proc_name = $2', [schema, `${table}_retention`])).job_id);

  beforeAll(async () => {
    database = await createTestDatabase({ server: 'timescale', prefix: 'audit_ts' });
    pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    schema = (await one<{ schema: string }>('SELECT current_schema() AS schema')).schema;
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('detects TimescaleDB and creates a hypertable with the audit columns, the primary key (id, occurred_at) and the query indexes', async () => {
    const result = await migrateAudit(pool, { timescale: 'auto', ...OPTIONS });
    expect(result.mode).toBe('timescale');
    expect(result.reason).toMatch(/^the timescaledb extension \(2\.\d+/);

    const hypertable = await one('SELECT * FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2', [
      schema,
      'audit_log',
    ]);
    expect(hypertable).toMatchObject({ primary_dimension: 'occurred_at', compression_enabled: true });
    const dimension = await one(
      'SELECT time_interval::text AS interval FROM timescaledb_information.dimensions WHERE hypertable_schema = $1 AND hypertable_name = $2',
      [schema, 'audit_log'],
    );
    expect(dimension.interval).toBe('1 day');

    expect(await auditTableColumns(pool)).toEqual(expectedAuditColumns());
    const pk = await one(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'audit_log'::regclass AND contype = 'p'`);
    expect(pk.def).toBe('PRIMARY KEY (id, occurred_at)');
    const indexes = await pool.query(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'audit_log' ORDER BY indexname`, [schema]);
    expect(indexes.rows.map((r) => r.indexdef.replace(/^.* USING /, ''))).toEqual([
      'btree (workspace_id, chain_seq) WHERE (chain_seq IS NOT NULL)',
      'btree (id, occurred_at)',
      'btree (workspace_id, subject, subject_id, occurred_at DESC, id DESC)',
      'btree (workspace_id, occurred_at DESC, id DESC)',
    ]);
  });

  it('enables the columnstore with segmentby workspace_id and orderby occurred_at DESC, id DESC', async () => {
    const { rows } = await pool.query(
      `SELECT attname, segmentby_column_index, orderby_column_index, orderby_asc
         FROM timescaledb_information.compression_settings WHERE hypertable_schema = $1 AND hypertable_name = 'audit_log'
        ORDER BY segmentby_column_index NULLS LAST, orderby_column_index`,
      [schema],
    );
    expect(rows).toEqual([
      { attname: 'workspace_id', segmentby_column_index: 1, orderby_column_index: null, orderby_asc: null },
      { attname: 'occurred_at', segmentby_column_index: null, orderby_column_index: 1, orderby_asc: false },
      { attname: 'id', segmentby_column_index: null, orderby_column_index: 2, orderby_asc: false },
    ]);
  });

  it('schedules compression, retention and the daily aggregate refresh, each once even when migrated again', async () => {
    const again = await migrateAudit(pool, { timescale: true, ...OPTIONS });
    expect(again.mode).toBe('timescale');
    // Retention is the package's own job (it records retention boundaries before dropping chunks), not a policy.
    const { rows } = await pool.query(
      `SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs WHERE hypertable_schema = $1 OR proc_schema = $1 ORDER BY proc_name`,
      [schema],
    );
    expect(rows.map((r) => [r.proc_name, r.hypertable_name])).toEqual([
      ['audit_log_retention', null],
      ['policy_compression', 'audit_log'],
      ['policy_refresh_continuous_aggregate', 'audit_log_daily'],
    ]);
    expect(rows[0].config).toEqual({
      drop_after: '30 days',
      hypertable: `${schema}.audit_log`,
      checkpoints: `${schema}.audit_log_checkpoints`,
      guard: `${schema}.audit_log_append_only`,
      guard_trigger: 'audit_log_append_only_statements',
    });
    expect(rows[1].config).toMatchObject({ compress_after: '7 days' });
    expect(rows[2].config).toMatchObject({ start_offset: '3 days', end_offset: '01:00:00' });
    const aggregate = await one('SELECT * FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1', [schema]);
    expect(aggregate).toMatchObject({ hypertable_name: 'audit_log', view_name: 'audit_log_daily' });
  });

  it('answers daily counts per workspace, action and status from the continuous aggregate', async () => {
    // 60 days of entries, one every 4 hours for workspace A and every 8 hours for B; every third A entry fails.
    await pool.query(
      `INSERT INTO audit_log (id, occurred_at, workspace_id, actor_kind, action, subject, status, duration_ms)
       SELECT gen_random_uuid(), date_trunc('hour', now()) - make_interval(hours => g), ws::uuid, 'User',
              CASE WHEN g % 2 = 0 THEN 'Update' ELSE 'Create' END, 'Deal',
              CASE WHEN ws = $1 AND g % 3 = 0 THEN 'Failure' ELSE 'Success' END, 5
         FROM generate_series(0, 60 * 24 - 1) g, unnest(ARRAY[$1, $2]) ws
        WHERE (ws = $1 AND g % 4 = 0) OR (ws = $2 AND g % 8 = 0)`,
      [WS_A, WS_B],
    );
    await pool.query(`CALL refresh_continuous_aggregate('audit_log_daily', NULL, NULL)`);
    const raw = await pool.query(
      `SELECT time_bucket('1 day', occurred_at) AS day, workspace_id, action, status, count(*)::int AS n FROM audit_log GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
    );
    const daily = await pool.query('SELECT day, workspace_id, action, status, entries::int AS n FROM audit_log_daily ORDER BY 1, 2, 3, 4');
    expect(daily.rows.length).toBeGreaterThan(100);
    expect(daily.rows).toEqual(raw.rows);
    const failures = await one(`SELECT sum(entries)::int AS n FROM audit_log_daily WHERE workspace_id = $1 AND status = 'Failure'`, [WS_A]);
    expect(failures.n).toBe(Number((await one(`SELECT count(*) AS n FROM audit_log WHERE workspace_id = $1 AND status = 'Failure'`, [WS_A])).n));
  });

  it('compresses the chunks older than compressAfter when the compression job runs, and they stay queryable', async () => {
    const before = await one(`SELECT count(*)::int AS n FROM audit_log WHERE workspace_id = $1`, [WS_A]);
    await pool.query(`CALL run_job(${await jobId('policy_compression')})`);
    const chunks = await pool.query(
      `SELECT range_end < now() - interval '7 days' AS old, is_compressed FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = 'audit_log'`,
      [schema],
    );
    const old = chunks.rows.filter((c) => c.old);
    expect(old.length).toBeGreaterThanOrEqual(50);
    expect(old.every((c) => c.is_compressed)).toBe(true);
    expect(chunks.rows.filter((c) => !c.old).some((c) => c.is_compressed)).toBe(false);
    const stats = await one(`SELECT count(*)::int AS n FROM chunk_columnstore_stats('audit_log') WHERE compression_status = 'Compressed'`);
    expect(stats.n).toBe(old.length);

    // Compressed rows read back through AuditQuery, in keyset order across compressed and plain chunks.
    const query = new AuditQuery(pool);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await query.find({ workspaceId: WS_A, limit: 100, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((e) => `${e.occurredAt.toISOString()} ${e.id}`));
      expect(page.items.every((e) => e.workspaceId === WS_A)).toBe(true);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(before.n);
    expect(new Set(seen).size).toBe(before.n);
    expect([...seen].sort().reverse()).toEqual(seen);

    // Migrating again with compressed chunks present changes nothing and does not fail.
    expect((await migrateAudit(pool, OPTIONS)).mode).toBe('timescale');
  });

  it('drops the chunks older than retainFor when the retention job runs, keeping recent rows and the daily counts', async () => {
    const recent = `occurred_at > now() - interval '29 days'`;
    const recentBefore = await one(`SELECT count(*)::int AS n FROM audit_log WHERE ${recent}`);
    const dailyBefore = await one('SELECT count(*)::int AS n, min(day) AS first FROM audit_log_daily');

    await pool.query(`CALL run_job(${await retentionJobId('audit_log')})`);

    const left = await one(`SELECT min(occurred_at) AS oldest, count(*)::int AS n FROM audit_log`);
    expect(left.oldest.getTime()).toBeGreaterThan(Date.now() - 31 * 86_400_000);
    expect(left.n).toBeLessThan(recentBefore.n + 24); // about 30 of the 60 days are gone
    expect((await one(`SELECT count(*)::int AS n FROM audit_log WHERE ${recent}`)).n).toBe(recentBefore.n);
    const chunks = await one(
      `SELECT count(*)::int AS n, min(range_start) AS first FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = 'audit_log'`,
      [schema],
    );
    expect(chunks.n).toBeLessThanOrEqual(32);
    expect(chunks.first.getTime()).toBeGreaterThan(Date.now() - 32 * 86_400_000);
    // The aggregate is materialized: the days retention dropped keep their counts.
    expect(await one('SELECT count(*)::int AS n, min(day) AS first FROM audit_log_daily')).toEqual(dailyBefore);
  });

  it('refuses native partitions on a table that is already a hypertable', async () => {
    const error = await migrateAudit(pool, { timescale: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuditStorageError);
    expect((error as AuditStorageError).code).toBe('AUDIT_TABLE_LAYOUT_MISMATCH');
  });

  it('migrate with storage options: the hypertable gets their chunk interval, compression and retention', async () => {
    const table = 'audit_settings';
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-ts-spool-'));
    const app = await boot({
      database: { pool },
      table,
      spoolDir,
      migrate: { timescale: true, chunkInterval: '12 hours', compressAfter: '2 days', retainFor: '90 days' },
    });
    try {
      const dimension = await one(
        'SELECT time_interval::text AS interval FROM timescaledb_information.dimensions WHERE hypertable_schema = $1 AND hypertable_name = $2',
        [schema, table],
      );
      expect(dimension.interval).toBe('12:00:00');
      const { rows } = await pool.query(
        `SELECT proc_name, config FROM timescaledb_information.jobs WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY proc_name`,
        [schema, table],
      );
      expect(rows).toEqual([{ proc_name: 'policy_compression', config: expect.objectContaining({ compress_after: '2 days' }) }]);
      const retention = await one(`SELECT config FROM timescaledb_information.jobs WHERE proc_schema = $1 AND proc_name = $2`, [schema, `${table}_retention`]);
      expect(retention.config).toMatchObject({ drop_after: '90 days' });
    } finally {
      await app.close();
    }
  });

  it('a batch delivered again after its chunk was compressed (a retried job) is written once, and the compressed rows read back unchanged', async () => {
    const table = 'audit_retry';
    const { url, prefix } = await createRedisNamespace();
    const spoolDir = await mkdtemp(join(tmpdir(), 'audit-ts-spool-'));
    const common = { database: { pool }, table, spoolDir, batch: { maxWaitMs: 1 } } satisfies AuditModuleOptions;
    const api = await boot({ ...common, migrate: { timescale: true }, queue: { connection: { url }, prefix, consumer: false } });
    const inspector = new Queue('audit-write', { connection: { url }, prefix });
    let worker: INestApplicationContext | undefined;
    try {
      // Entries of ten days ago (older than compressAfter), through the real service, in one batch.
      const audit = api.get(AuditService);
      const start = Date.now() - 10 * 86_400_000;
      await new ContextService().run({ workspaceId: WS_A, actor: { kind: 'User', id: 'u1' } }, async () => {
        const calls = Array.from({ length: 30 }, (_, i) => {
          const record = {
            action: i % 2 ? 'Update' : 'Create',
            subject: 'Deal',
            subjectId: `deal-${i}`,
            occurredAt: new Date(start + i * 60_000),
            metadata: { n: i },
            before: { stage: 'New' },
            after: { stage: i % 3 ? 'Won' : 'Lost' },
          };
          if (i % 2) return audit.record(record);
          audit.recordNow(record);
          return undefined;
        });
        await Promise.all(calls);
      });
      await audit.flush();
      const jobs = await inspector.getJobs(['waiting']);
      expect(jobs.length).toBeGreaterThanOrEqual(1);

      worker = await boot({ ...common, queue: { connection: { url }, prefix } });
      const count = async () => await one<{ n: number; ids: number }>(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids FROM ${table}`);
      await eventually(async () => expect(await count()).toEqual({ n: 30, ids: 30 }));
      const rowsBefore = (await pool.query(`SELECT * FROM ${table} ORDER BY id`)).rows;

      await pool.query(`CALL run_job(${await jobId('policy_compression', table)})`);
      const chunks = await pool.query(
        `SELECT is_compressed FROM timescaledb_information.chunks WHERE hypertable_schema = $1 AND hypertable_name = $2 AND range_end > $3`,
        [schema, table, new Date(start)],
      );
      expect(chunks.rows.length).toBeGreaterThanOrEqual(1);
      expect(chunks.rows.every((c) => c.is_compressed)).toBe(true);

      // The same batches again, as after a worker crash mid-write, under other job ids.
      for (const [i, job] of jobs.entries()) {
        const id = `replayed-${i}`;
        await inspector.add('batch', job.data, { jobId: id });
        const state = await eventually(async () => {
          const now = await inspector.getJobState(id);
          expect(['completed', 'failed']).toContain(now);
          return now;
        });
        // The database error, when there is one, in the failure message.
        expect((await inspector.getJob(id))?.failedReason ?? null).toBeNull();
        expect(state).toBe('completed');
      }

      expect(await count()).toEqual({ n: 30, ids: 30 });
      expect((await pool.query(`SELECT * FROM ${table} ORDER BY id`)).rows).toEqual(rowsBefore);
      // Checking the conflicts decompressed the batches concerned (the chunk is partially
      // compressed now); the next policy run compresses them again, rows still once each.
      await pool.query(`CALL run_job(${await jobId('policy_compression', table)})`);
      const stats = await pool.query(`SELECT compression_status FROM chunk_columnstore_stats($1)`, [table]);
      expect(stats.rows.map((r) => r.compression_status)).toEqual(chunks.rows.map(() => 'Compressed'));
      expect((await pool.query(`SELECT * FROM ${table} ORDER BY id`)).rows).toEqual(rowsBefore);
      const query = new AuditQuery(pool, { table });
      const page = await query.find({ workspaceId: WS_A, limit: 100 });
      expect(page.items.map((e) => e.metadata['n'])).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));
      expect(page.items[0]).toMatchObject({
        action: 'Update',
        subject: 'Deal',
        subjectId: 'deal-29',
        actorId: 'u1',
        changes: { stage: { from: 'New', to: 'Won' } },
      });
    } finally {
      await inspector.close();
      await api.close();
      await worker?.close();
    }
  });
});
