import { uuidv7 } from '@acme/nest-context';
import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../src/audit-entry';
import { AuditWriter, insertParameters } from '../src/audit-writer';
import { chainStatements, inChainTransaction, writeChained } from '../src/integrity/chain-writer';
import { DEFAULT_PERSONAL, personalRules } from '../src/integrity/personal-data';
import { migrateAudit } from '../src/storage/audit-migration';
import { checkChain, positions } from './support/chain-rows';

const WS_A = '0190a0b2-0000-7000-8000-00000000c0a1';
const WS_B = '0190a0b2-0000-7000-8000-00000000c0b2';
const rules = personalRules(DEFAULT_PERSONAL);

function entry(workspaceId: string | null, overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: uuidv7(),
    occurredAt: new Date(),
    workspaceId,
    actorKind: 'User',
    actorId: 'u1',
    action: 'Update',
    subject: 'Contact',
    subjectId: 'c1',
    status: 'Success',
    errorCode: null,
    errorMessage: null,
    requestId: 'r1',
    ip: '10.0.0.1',
    userAgent: 'test',
    durationMs: 3,
    metadata: { source: 'import', contact: { email: 'a@x.io' } },
    changes: { name: { from: 'Ann', to: 'Anna' }, stage: { from: 'New', to: 'Won' } },
    ...overrides,
  };
}

describe('the chain writer (PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let other: pg.Pool;
  let writer: AuditWriter;

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_chain' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    other = new pg.Pool({ connectionString: database.url, max: 4 });
    await migrateAudit(pool, { timescale: false });
    writer = new AuditWriter(pool, 'audit_log', undefined, rules);
  });
  afterAll(async () => {
    await other?.end();
    await pool?.end();
    await database?.drop();
  });

  /** Empties the table and the heads (as maintenance: the append-only guard refuses a plain DELETE). */
  const clear = async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
      await client.query('DELETE FROM audit_log');
      await client.query('DELETE FROM audit_log_chain_heads');
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };

  it('gives each workspace consecutive positions, in (occurred_at, id) order, with hashes that recompute from the stored rows', async () => {
    await clear();
    const base = Date.now();
    // Out of time order within the batch, and ties on occurred_at broken by id.
    const batch = [
      entry(WS_A, { occurredAt: new Date(base + 20) }),
      entry(WS_B, { occurredAt: new Date(base + 5) }),
      entry(WS_A, { occurredAt: new Date(base + 10) }),
      entry(null, { occurredAt: new Date(base), actorKind: 'System', actorId: null }),
      entry(WS_A, { occurredAt: new Date(base + 10) }),
    ];
    expect(await writer.write(batch)).toBe(5);
    expect(await writer.write([entry(WS_A, { occurredAt: new Date(base - 1_000) })])).toBe(1);

    const a = await checkChain(pool, WS_A);
    expect(a).toMatchObject({ seqs: [1, 2, 3, 4], broken: [], digestMismatch: [], head: { seq: 4, hash: a.lastHash } });
    const order = (await pool.query('SELECT id::text FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq', [WS_A])).rows.map((r) => r.id);
    const [late, tieX, tieY] = [batch[0]!.id, batch[2]!.id, batch[4]!.id];
    expect(order.slice(0, 3)).toEqual([...[tieX, tieY].sort(), late]);
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [1], broken: [], head: { seq: 1 } });
    expect(await checkChain(pool, null)).toMatchObject({ seqs: [1], broken: [], head: { seq: 1 } });

    const [row] = (await pool.query('SELECT * FROM audit_log WHERE id = $1', [late])).rows;
    expect(row.personal_paths).toEqual([
      ['metadata', 'contact', 'email'],
      ['changes', 'name'],
    ]);
    expect(row.personal_salt).toHaveLength(16);
    expect(row.personal_digest).toHaveLength(32);
  });

  it('detects a changed row in the recomputation (the check itself can fail)', async () => {
    await clear();
    await writer.write([entry(WS_A), entry(WS_A), entry(WS_A)]);
    const [, second] = (await pool.query('SELECT id::text FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq', [WS_A])).rows;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT set_config('acme_audit.maintenance', 'on', true)");
      await client.query(`UPDATE audit_log SET action = 'Delete' WHERE id = $1`, [second.id]);
      await client.query(`UPDATE audit_log SET ip = '10.9.9.9' WHERE id = $1`, [second.id]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await checkChain(pool, WS_A)).toMatchObject({ broken: [second.id], digestMismatch: [second.id] });
  });

  it('keeps one unbroken chain when two writers on two pools write batches of one workspace at once', async () => {
    await clear();
    const second = new AuditWriter(other, 'audit_log', undefined, rules);
    const rounds = 25;
    await Promise.all(
      Array.from({ length: rounds }, (_, i) => [
        writer.write(Array.from({ length: 8 }, () => entry(WS_A, { subjectId: `w1-${i}` }))),
        second.write(Array.from({ length: 8 }, () => entry(WS_A, { subjectId: `w2-${i}` }))),
      ]).flat(),
    );
    const check = await checkChain(pool, WS_A);
    expect(check.seqs).toEqual(positions(rounds * 16));
    expect(check.broken).toEqual([]);
    expect(check.head).toEqual({ seq: rounds * 16, hash: check.lastHash });
  });

  it('without the head lock (a broken variant), the same concurrent writers fork the chain', async () => {
    await clear();
    const good = chainStatements('audit_log');
    const broken = { ...good, lock: good.lock.replace(' FOR UPDATE', '') };
    const write = (db: pg.Pool, entries: AuditEntry[]) =>
      inChainTransaction(db, (client) => writeChained(client, broken, rules, insertParameters(entries))).catch(() => 0);
    await Promise.all(Array.from({ length: 25 }, () => [write(pool, [entry(WS_A), entry(WS_A)]), write(other, [entry(WS_A), entry(WS_A)])]).flat());
    const check = await checkChain(pool, WS_A);
    const duplicates = check.seqs.length - new Set(check.seqs).size;
    expect(duplicates + check.broken.length).toBeGreaterThan(0);
  });

  it('writes a retried batch, partly stored already, without forking the chain: stored entries keep their position', async () => {
    await clear();
    const entries = Array.from({ length: 8 }, (_, i) => entry(WS_A, { occurredAt: new Date(Date.now() + i), subjectId: `r${i}` }));
    expect(await writer.write(entries.slice(0, 5))).toBe(5);
    const before = (
      await pool.query('SELECT id::text, chain_seq::int, encode(chain_hash, $2) AS hash FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq', [
        WS_A,
        'hex',
      ])
    ).rows;
    // The whole batch again (the queue re-ran it after a crash mid-way), in another order.
    expect(await writer.write([...entries].reverse())).toBe(3);
    expect(await writer.write(entries)).toBe(0);
    const check = await checkChain(pool, WS_A);
    expect(check).toMatchObject({ seqs: positions(8), broken: [], head: { seq: 8 } });
    const after = (
      await pool.query('SELECT id::text, chain_seq::int, encode(chain_hash, $2) AS hash FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq LIMIT 5', [
        WS_A,
        'hex',
      ])
    ).rows;
    expect(after).toEqual(before);
  });

  it('without the skip of stored ids (a broken variant), the retried batch cannot be written', async () => {
    await clear();
    const entries = Array.from({ length: 4 }, () => entry(WS_A));
    await writer.write(entries.slice(0, 2));
    const good = chainStatements('audit_log');
    const broken = { ...good, stored: 'SELECT NULL::text AS id WHERE $1::uuid[] IS NULL AND $2::timestamptz IS NULL AND $3::timestamptz IS NULL' };
    await expect(inChainTransaction(pool, (client) => writeChained(client, broken, rules, insertParameters(entries)))).rejects.toMatchObject({
      code: 'AUDIT_CHAIN_CONFLICT',
    });
    expect(await checkChain(pool, WS_A)).toMatchObject({ seqs: [1, 2], broken: [], head: { seq: 2 } });
  });

  it('chains batches that arrive together in one transaction, and one bad batch fails alone', async () => {
    await clear();
    const bad = [entry(WS_A, { durationMs: 2 ** 40 })]; // out of the integer column's range: the insert fails
    const results = await Promise.allSettled([
      writer.write([entry(WS_A), entry(WS_A)]),
      writer.write(bad),
      writer.write([entry(WS_A)]),
      writer.write([entry(WS_B)]),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : undefined))).toEqual([2, undefined, 1, 1]);
    expect(await checkChain(pool, WS_A)).toMatchObject({ seqs: [1, 2, 3], broken: [], head: { seq: 3 } });
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [1], broken: [], head: { seq: 1 } });
  });

  it('stores NUL, unpaired surrogates and emoji as the table can hold them, and the hash computed on write matches the row read back', async () => {
    await clear();
    const hostile = 'a\u0000b \uD800 c \uDFFF d 😀🇫🇷 \u2028 é';
    const e = entry(WS_A, {
      subjectId: hostile,
      errorMessage: hostile,
      errorCode: 'E\u0000',
      userAgent: hostile,
      actorId: `u\uD83D`,
      metadata: { [hostile]: hostile, nested: [{ email: hostile }, 1.5, 1e21, -0, null, true], __proto__: { x: hostile } },
      changes: { note: { from: hostile, to: '😀' } },
    });
    expect(await writer.write([e, entry(WS_A)])).toBe(2);
    expect(await checkChain(pool, WS_A)).toMatchObject({ seqs: [1, 2], broken: [], digestMismatch: [] });
    const [row] = (await pool.query('SELECT subject_id, metadata FROM audit_log WHERE id = $1', [e.id])).rows;
    expect(row.subject_id).toBe('a\uFFFDb \uFFFD c \uFFFD d 😀🇫🇷 \u2028 é');
    expect(row.metadata.nested[0].email).toBe(row.subject_id);
  });

  it('chains in the caller transaction: nothing moves when it rolls back, the entries and the head when it commits', async () => {
    await clear();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await writer.write([entry(WS_B)], client);
      await client.query('ROLLBACK');
      expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [], head: undefined });
      await client.query('BEGIN');
      await writer.write([entry(WS_B), entry(WS_B)], client);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    await writer.write([entry(WS_B)]);
    expect(await checkChain(pool, WS_B)).toMatchObject({ seqs: [1, 2, 3], broken: [], head: { seq: 3 } });
  });

  it('with the chain off writes as before: no chain columns, no heads', async () => {
    await clear();
    const plain = new AuditWriter(pool, 'audit_log');
    expect(await plain.write([entry(WS_B)])).toBe(1);
    const [row] = (
      await pool.query('SELECT chain_seq, chain_hash, personal_digest, personal_salt, personal_paths FROM audit_log WHERE workspace_id = $1', [WS_B])
    ).rows;
    expect(row).toEqual({ chain_seq: null, chain_hash: null, personal_digest: null, personal_salt: null, personal_paths: null });
    expect((await pool.query('SELECT count(*)::int AS n FROM audit_log_chain_heads')).rows[0].n).toBe(0);
  });
});
