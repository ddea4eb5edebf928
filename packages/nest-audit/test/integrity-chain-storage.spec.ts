import { uuidv7 } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { AUDIT_COLUMNS, type AuditEntry } from '../src/audit-entry';
import { AuditWriter } from '../src/audit-writer';
import { AUDIT_CHAIN_COLUMNS } from '../src/integrity/chain-content';
import { DEFAULT_PERSONAL, personalRules } from '../src/integrity/personal-data';
import { migrateAudit } from '../src/storage/audit-migration';
import { checkChain } from './support/chain-rows';
import { insertAuditRows, testUuid } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-00000000c5a1';

/** The audit table as the previous version created it: no chain columns. */
function previousTableSql(partitioned: boolean): string {
  const required = new Set(['id', 'occurred_at', 'actor_kind', 'action', 'subject', 'status', 'duration_ms']);
  const columns = AUDIT_COLUMNS.map(([column, type]) =>
    type === 'jsonb' ? `"${column}" jsonb NOT NULL DEFAULT '{}'` : `"${column}" ${type}${required.has(column) ? ' NOT NULL' : ''}`,
  );
  return `CREATE TABLE audit_log (${columns.join(', ')}, PRIMARY KEY ("id", "occurred_at"))${partitioned ? ' PARTITION BY RANGE ("occurred_at")' : ''}`;
}

function entry(): AuditEntry {
  return {
    id: uuidv7(),
    occurredAt: new Date(),
    workspaceId: WS,
    actorKind: 'User',
    actorId: 'u1',
    action: 'Update',
    subject: 'Contact',
    subjectId: 'c1',
    status: 'Success',
    errorCode: null,
    errorMessage: null,
    requestId: null,
    ip: null,
    userAgent: null,
    durationMs: 1,
    metadata: { email: 'a@x.io' },
    changes: {},
  };
}

const chainColumns = async (pool: pg.Pool) =>
  (
    await pool.query(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, NOT attnotnull AS nullable FROM pg_attribute
        WHERE attrelid = 'audit_log'::regclass AND attname LIKE ANY (ARRAY['chain_%', 'personal_%']) AND NOT attisdropped ORDER BY attnum`,
    )
  ).rows;
const expectedChainColumns = AUDIT_CHAIN_COLUMNS.map(([name, type]) => ({ name, type, nullable: true }));

describe('chain storage on a table created by the previous version', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  });

  it('native partitions: migrateAudit adds the nullable chain columns, the heads table and the chain index; old rows stay unchained', async () => {
    const database: TestDatabase = await createTestDatabase({ prefix: 'audit_chain_up' });
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    cleanup.push(
      () => database.drop(),
      () => pool.end(),
    );
    await pool.query(previousTableSql(true));
    await pool.query('CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT');
    await insertAuditRows(pool, [{ id: testUuid(1), occurredAt: new Date(), workspaceId: WS }]);

    await migrateAudit(pool, { timescale: false });
    await migrateAudit(pool, { timescale: false }); // idempotent
    expect(await chainColumns(pool)).toEqual(expectedChainColumns);
    const index = await pool.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_log_chain_idx'`);
    expect(index.rows[0].indexdef).toMatch(/\(workspace_id, chain_seq\) WHERE \(chain_seq IS NOT NULL\)$/);

    const writer = new AuditWriter(pool, 'audit_log', undefined, personalRules(DEFAULT_PERSONAL));
    expect(await writer.write([entry(), entry()])).toBe(2);
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: [1, 2], broken: [], head: { seq: 2 } });
    expect((await pool.query('SELECT chain_seq FROM audit_log WHERE id = $1', [testUuid(1)])).rows).toEqual([{ chain_seq: null }]);
  });

  it('TimescaleDB hypertable with columnstore on and a compressed chunk: the same upgrade, and the writer chains', async () => {
    const database: TestDatabase = await createTestDatabase({ server: 'timescale', prefix: 'audit_chain_up_ts' });
    // The embedded TimescaleDB serves one connection at a time.
    const pool = new pg.Pool({ connectionString: database.url, max: 1, idleTimeoutMillis: 100 });
    cleanup.push(
      () => database.drop(),
      () => pool.end(),
    );
    await pool.query(previousTableSql(false));
    await pool.query(`SELECT create_hypertable('audit_log', by_range('occurred_at', INTERVAL '1 day'), create_default_indexes => false)`);
    await pool.query(
      `ALTER TABLE audit_log SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'workspace_id', timescaledb.orderby = 'occurred_at DESC, id DESC')`,
    );
    await insertAuditRows(pool, [{ id: testUuid(2), occurredAt: new Date(Date.now() - 10 * 86_400_000), workspaceId: WS }]);
    await pool.query(`SELECT compress_chunk(c) FROM show_chunks('audit_log') c`);
    expect(
      (await pool.query(`SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'audit_log' AND is_compressed`)).rows[0].n,
    ).toBe(1);

    await migrateAudit(pool, { timescale: true, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '30 days' });
    await migrateAudit(pool, { timescale: true, chunkInterval: '1 day', compressAfter: '7 days', retainFor: '30 days' });
    expect(await chainColumns(pool)).toEqual(expectedChainColumns);
    const index = await pool.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_log_chain_idx'`);
    expect(index.rows[0].indexdef).toMatch(/\(workspace_id, chain_seq\) WHERE \(chain_seq IS NOT NULL\)$/);

    const writer = new AuditWriter(pool, 'audit_log', undefined, personalRules(DEFAULT_PERSONAL));
    expect(await writer.write([entry(), entry(), entry()])).toBe(3);
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: [1, 2, 3], broken: [], head: { seq: 3 } });
    // The compressed row reads back with no chain position.
    expect((await pool.query('SELECT chain_seq, personal_paths FROM audit_log WHERE id = $1', [testUuid(2)])).rows).toEqual([
      { chain_seq: null, personal_paths: null },
    ]);
  });
});
