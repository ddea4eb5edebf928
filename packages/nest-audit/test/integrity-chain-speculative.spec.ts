import { uuidv7 } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit-entry';
import { AuditWriter, insertParameters } from '../src/audit-writer';
import {
  chainStatements,
  prepareChainBatch,
  writePreparedChain,
  writeSpeculativeChain,
  type ChainHead,
  type ChainStatements,
} from '../src/integrity/chain-writer';
import { DEFAULT_PERSONAL, personalRules } from '../src/integrity/personal-data';
import { migrateAudit } from '../src/storage/audit-migration';
import { checkChain, positions } from './support/chain-rows';

const WS = '0190a0b2-0000-7000-8000-00000000c5a1';
const rules = personalRules(DEFAULT_PERSONAL);
const sql = chainStatements('audit_log');

function entries(count: number): AuditEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    id: uuidv7(),
    occurredAt: new Date(),
    workspaceId: WS,
    actorKind: 'User',
    actorId: 'u1',
    action: 'Update',
    subject: 'Deal',
    subjectId: `d${i}`,
    status: 'Success',
    errorCode: null,
    errorMessage: null,
    requestId: null,
    ip: null,
    userAgent: null,
    durationMs: 1,
    metadata: { i },
    changes: { stage: { from: 'New', to: 'Won' } },
  }));
}

const prepared = (count: number) => prepareChainBatch(rules, insertParameters(entries(count)));

/**
 * The speculative chain write: a transaction behind another of the same workspace inserts beside
 * it and moves the head only once the one before committed, and only from where it expected it.
 */
describe('speculative chain writes (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_chain_spec' });
    pool = new pg.Pool({ connectionString: database.url, max: 6 });
    await migrateAudit(pool, { timescale: false });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  beforeEach(async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
      await client.query('DELETE FROM audit_log');
      await client.query('DELETE FROM audit_log_chain_heads');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    // The chain's first entry: its head exists from here on.
    await new AuditWriter(pool, 'audit_log', undefined, rules).write(entries(1));
  });

  /** Two connections in a transaction each, and the backend id of the second. */
  const twoTransactions = async () => {
    const first = await pool.connect();
    const second = await pool.connect();
    await first.query('BEGIN');
    await second.query('BEGIN');
    const pid = (await second.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    return { first, second, pid };
  };

  /** Resolves once backend `pid` waits on a lock, with the statement it waits in. */
  const waitsOnLock = async (pid: number): Promise<string> => {
    for (let i = 0; i < 500; i++) {
      const { rows } = await pool.query('SELECT wait_event_type, query FROM pg_stat_activity WHERE pid = $1', [pid]);
      if (rows[0]?.wait_event_type === 'Lock') return rows[0].query as string;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`backend ${pid} never waited on a lock`);
  };

  it('inserts beside the open transaction before it, waits only to move the head, and continues its chain once that one commits', async () => {
    const { first, second, pid } = await twoTransactions();
    try {
      let leaderHeads: ReadonlyMap<string, ChainHead> | undefined;
      await writePreparedChain(first, sql, prepared(5), { skipStored: false, onHeads: (heads) => (leaderHeads = heads) });
      const follower = writeSpeculativeChain(second, sql, prepared(7), leaderHeads!);
      // Its rows are in: what it waits for is the head, which the first transaction holds.
      expect(await waitsOnLock(pid)).toMatch(/^UPDATE "audit_log_chain_heads"/);
      await first.query('COMMIT');
      expect((await follower).size).toBe(7);
      await second.query('COMMIT');
    } finally {
      first.release();
      second.release();
    }
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: positions(13), broken: [], head: { seq: 13 } });
  });

  it('refuses to move the head when the transaction before rolled back: nothing of it stays', async () => {
    const { first, second, pid } = await twoTransactions();
    try {
      let leaderHeads: ReadonlyMap<string, ChainHead> | undefined;
      await writePreparedChain(first, sql, prepared(5), { skipStored: false, onHeads: (heads) => (leaderHeads = heads) });
      const follower = writeSpeculativeChain(second, sql, prepared(7), leaderHeads!);
      void follower.catch(() => undefined);
      await waitsOnLock(pid);
      await first.query('ROLLBACK');
      await expect(follower).rejects.toMatchObject({ code: 'AUDIT_CHAIN_MOVED' });
      await second.query('ROLLBACK');
    } finally {
      first.release();
      second.release();
    }
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: [1], broken: [], head: { seq: 1 } });
  });

  const raceFromOneHead = async (statements: ChainStatements) => {
    const { first, second, pid } = await twoTransactions();
    try {
      // Both expect the head where it stands (seq 1): only one of them can be right.
      const { rows } = await pool.query(statements.heads, [[WS]]);
      const expected = new Map([[WS, { seq: BigInt(rows[0].seq), hash: Buffer.from(rows[0].hash, 'hex') }]]);
      await writeSpeculativeChain(first, statements, prepared(3), expected);
      const late = writeSpeculativeChain(second, statements, prepared(4), expected);
      void late.catch(() => undefined);
      await waitsOnLock(pid);
      await first.query('COMMIT');
      const outcome = await late.then(
        () => 'moved',
        (error: { code?: string }) => error.code,
      );
      await second.query(outcome === 'moved' ? 'COMMIT' : 'ROLLBACK');
      return outcome;
    } finally {
      first.release();
      second.release();
    }
  };

  it('of two transactions that expect the head at one place, the second to move it is refused', async () => {
    expect(await raceFromOneHead(sql)).toBe('AUDIT_CHAIN_MOVED');
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: positions(4), broken: [], head: { seq: 4 } });
  });

  it('without the compare (a broken variant), both move the head and the chain forks', async () => {
    const advance = sql.advance.replace(/CASE WHEN [^\n]* THEN (m\.seq|decode\(m\.hash, 'hex'\)) ELSE [^\n]* END/g, '$1');
    expect(advance).not.toContain('CASE');
    expect(await raceFromOneHead({ ...sql, advance })).toBe('moved');
    const check = await checkChain(pool, WS);
    expect(check.seqs).toEqual([1, 2, 2, 3, 3, 4, 4, 5]);
  });

  it('a writer keeps one unbroken chain through many batches at once, retried ones among them', async () => {
    const writer = new AuditWriter(pool, 'audit_log', undefined, rules);
    const batches = Array.from({ length: 30 }, () => entries(20));
    const written = await Promise.all([
      ...batches.map((batch) => writer.write(batch)),
      // Re-run batches (a redelivered job) while the first runs are in flight: never chained twice.
      ...batches.slice(0, 10).map((batch) => writer.write(batch)),
    ]);
    expect(written.reduce((sum, n) => sum + n, 0)).toBe(600);
    expect(await checkChain(pool, WS)).toMatchObject({ seqs: positions(601), broken: [], head: { seq: 601 } });
  });
});
