import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../src/integrity/verify';
import { migrateAudit } from '../src/storage/audit-migration';
import { dropExpiredAuditPartitions, ensureAuditPartitions } from '../src/storage/audit-partitions';
import { auditTableName } from '../src/storage/sql-identifier';
import { asAuditMaintenance } from './support/audit-maintenance';
import { chainIds, chainWriter, personEntry } from './support/chain-fixture';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const DAY = 86_400_000;
const NAME = auditTableName('audit_log', undefined);

/** 20 entries of WS, one every 6 days, the oldest 114 days ago: retention of 30 days drops most of them. */
const entries = () => Array.from({ length: 20 }, (_, i) => personEntry(i + 1, WS, new Date(Date.now() - (114 - i * 6) * DAY)));

// Retention removes the start of a chain: verification must start after the boundary it recorded,
// with the real writer, the real retention and the real verification together.
describe('verification after retention dropped the oldest entries', () => {
  const databases: TestDatabase[] = [];
  const pools: pg.Pool[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.end();
    for (const database of databases) await database.drop();
  });

  it('native partitions: dropExpiredAuditPartitions records the boundary, verify starts after it and still catches a deletion there', async () => {
    const database = await createTestDatabase({ prefix: 'audit_verify_retention' });
    databases.push(database);
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pools.push(pool);
    await migrateAudit(pool, { timescale: false });
    await ensureAuditPartitions(pool, { from: new Date(Date.now() - 130 * DAY) });
    await chainWriter(pool).write(entries());
    const verify = () => verifyAuditChain(pool, { name: NAME }, { workspaceId: WS });
    expect(await verify()).toMatchObject({ ok: true, checked: 20 });

    expect((await dropExpiredAuditPartitions(pool, { retainFor: '30 days' })).length).toBeGreaterThan(0);
    const left = Number((await pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    expect(left).toBeLessThan(20);
    const result = await verify();
    expect(result).toMatchObject({ ok: true, checked: left, firstSeq: 21 - left, lastSeq: 20, problems: [] });

    // The first entry after the boundary deleted: the boundary's hash no longer links to anything.
    const ids = await chainIds(pool, WS);
    await asAuditMaintenance(pool, (client) => client.query('DELETE FROM audit_log WHERE id = $1', [ids[0]]));
    expect((await verify()).problems).toEqual([expect.objectContaining({ kind: 'Missing Range', seq: 21 - left, entryIds: [ids[1]] })]);
  });

  it('TimescaleDB: the retention job records the boundary of compressed chunks it drops, and verify starts after it', async () => {
    const database = await createTestDatabase({ server: 'timescale', prefix: 'audit_verify_retention_ts' });
    databases.push(database);
    const pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    pools.push(pool);
    await migrateAudit(pool, { timescale: true, chunkInterval: '7 days', compressAfter: '7 days', retainFor: '30 days' });
    await chainWriter(pool).write(entries());
    await pool.query(`SELECT compress_chunk(c) FROM show_chunks('audit_log', older_than => interval '7 days') c`);
    const verify = () => verifyAuditChain(pool, { name: NAME }, { workspaceId: WS });
    expect(await verify()).toMatchObject({ ok: true, checked: 20 });

    const job = (await pool.query(`SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'audit_log_retention'`)).rows[0];
    await pool.query(`CALL run_job(${Number(job.job_id)})`);
    const left = Number((await pool.query('SELECT count(*) AS n FROM audit_log')).rows[0].n);
    expect(left).toBeLessThan(20);
    expect(await verify()).toMatchObject({ ok: true, checked: left, lastSeq: 20, problems: [] });
  });
});
