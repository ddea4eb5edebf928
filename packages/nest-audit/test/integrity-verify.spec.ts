import { createTestDatabase, type TestDatabase } from '@acme/nest-testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chainHash, chainRowOfStored, entryContent } from '../src/integrity/chain-content';
import { signCheckpoint } from '../src/integrity/checkpoint';
import { verifyAuditChain } from '../src/integrity/verify';
import type { AuditVerifyOptions } from '../src/integrity/verify-result';
import { migrateAudit } from '../src/storage/audit-migration';
import { auditTableName } from '../src/storage/sql-identifier';
import { asAuditMaintenance, clearAuditTable } from './support/audit-maintenance';
import { chainIds, chainWriter, ed25519, personEntry, signedHead } from './support/chain-fixture';
import { testUuid } from './support/storage-rows';

const WS = '0190a0b2-0000-7000-8000-0000000000a1';
const OTHER = '0190a0b2-0000-7000-8000-0000000000b2';
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const NAME = auditTableName('audit_log', undefined);

describe('AuditIntegrityService verification (PostgreSQL, native partitions)', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  const verify = (options: Partial<AuditVerifyOptions> = {}, pageSize = 4) => verifyAuditChain(pool, { name: NAME, pageSize }, { workspaceId: WS, ...options });
  const tamper = (sql: string, params: unknown[] = []) => asAuditMaintenance(pool, (client) => client.query(sql, params));
  /** 12 entries in WS (written in 3 batches, as the writer does) and 3 in OTHER. */
  const seed = async () => {
    const writer = chainWriter(pool);
    for (let batch = 0; batch < 3; batch++) {
      await writer.write(Array.from({ length: 4 }, (_, i) => personEntry(batch * 4 + i + 1, WS, new Date(T0 + (batch * 4 + i) * 1000))));
    }
    await writer.write([1, 2, 3].map((i) => personEntry(100 + i, OTHER, new Date(T0 + i * 1000))));
  };

  beforeAll(async () => {
    database = await createTestDatabase({ prefix: 'audit_verify' });
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    await migrateAudit(pool, { timescale: false, now: new Date(T0) });
  });
  beforeEach(async () => {
    await clearAuditTable(pool);
    await pool.query('DELETE FROM audit_log_chain_heads');
    await pool.query('DELETE FROM audit_log_checkpoints');
    await seed();
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('passes an untouched chain, walking it in pages, and names the range it verified', async () => {
    const result = await verify();
    expect(result).toEqual({ ok: true, workspaceId: WS, checked: 12, beforeBoundary: 0, firstSeq: 1, lastSeq: 12, problems: [] });
    expect(await verify({ workspaceId: OTHER })).toMatchObject({ ok: true, checked: 3, lastSeq: 3 });
  });

  it('verifies while writers go on: the walk, the head and the checkpoints are read in one snapshot', async () => {
    const writer = chainWriter(pool);
    let writing = true;
    const writes = (async () => {
      for (let batch = 0; writing && batch < 200; batch++) {
        await writer.write(Array.from({ length: 5 }, (_, i) => personEntry(1_000 + batch * 5 + i, WS, new Date(T0 + 100_000 + batch * 5_000 + i))));
      }
    })();
    try {
      for (let round = 0; round < 15; round++) {
        const result = await verify({}, 3);
        expect(result.problems, `round ${round}`).toEqual([]);
      }
    } finally {
      writing = false;
      await writes;
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('a retried batch (same ids) is not chained twice: verification still passes', async () => {
    const writer = chainWriter(pool);
    const again = Array.from({ length: 4 }, (_, i) => personEntry(4 + i + 1, WS, new Date(T0 + (4 + i) * 1000)));
    expect(await writer.write(again)).toBe(0);
    expect(await writer.write([...again, personEntry(13, WS, new Date(T0 + 13_000))])).toBe(1);
    expect(await verify()).toMatchObject({ ok: true, checked: 13, lastSeq: 13 });
  });

  it('an edited row is a Broken Link at that entry (and only there)', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET status = 'Failure' WHERE id = $1`, [ids[5]]);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Broken Link', entryIds: [ids[5]], seq: 6 })]);
  });

  it('an edited JSON value, duration or timestamp is a Broken Link at that entry', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET changes = jsonb_set(changes, '{stage,to}', '"Lost"') WHERE id = $1`, [ids[0]]);
    await tamper(`UPDATE audit_log SET duration_ms = duration_ms + 1 WHERE id = $1`, [ids[3]]);
    await tamper(`UPDATE audit_log SET occurred_at = occurred_at + interval '1 second' WHERE id = $1`, [ids[9]]);
    const result = await verify();
    expect(result.problems.map((p) => [p.kind, p.entryIds])).toEqual([
      ['Broken Link', [ids[0]]],
      ['Broken Link', [ids[3]]],
      ['Broken Link', [ids[9]]],
    ]);
  });

  it('a deleted row is a Missing Range naming the entries around the gap', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`DELETE FROM audit_log WHERE id = ANY($1::uuid[])`, [[ids[6], ids[7]]]);
    const result = await verify();
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Missing Range', seq: 7, toSeq: 8, entryIds: [ids[5], ids[8]] })]);
    expect(result).toMatchObject({ ok: false, checked: 10 });
  });

  it('reordered rows (positions swapped) are Broken Links at both entries (and at the entry after them, whose predecessor moved)', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET chain_seq = CASE WHEN id = $1 THEN 4 ELSE 3 END WHERE id = ANY(ARRAY[$1, $2]::uuid[])`, [ids[2], ids[3]]);
    const result = await verify();
    expect(result.problems.map((p) => [p.kind, p.seq, p.entryIds])).toEqual([
      ['Broken Link', 3, [ids[3]]],
      ['Broken Link', 4, [ids[2]]],
      ['Broken Link', 5, [ids[4]]],
    ]);
  });

  it('an inserted row at a taken position is a Duplicate Position naming both entries', async () => {
    const ids = await chainIds(pool, WS);
    const forged = testUuid(999);
    await pool.query(
      `INSERT INTO audit_log SELECT $2::uuid, occurred_at, workspace_id, actor_kind, actor_id, 'Delete', subject, subject_id, status, error_code, error_message,
         request_id, ip, user_agent, duration_ms, metadata, changes, chain_seq, chain_hash, personal_digest, personal_salt, personal_paths
         FROM audit_log WHERE id = $1`,
      [ids[4], forged],
    );
    const result = await verify();
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Duplicate Position', seq: 5, entryIds: [ids[4], forged].sort() })]);
    expect(result.checked).toBe(13);
  });

  it('a row inserted before the start of the chain (position 0 or below) is reported', async () => {
    const forged = testUuid(997);
    await pool.query(
      `INSERT INTO audit_log SELECT $1::uuid, occurred_at, workspace_id, actor_kind, actor_id, action, subject, subject_id, status, error_code, error_message,
         request_id, ip, user_agent, duration_ms, metadata, changes, 0, chain_hash, personal_digest, personal_salt, personal_paths
         FROM audit_log WHERE workspace_id = $2 AND chain_seq = 1`,
      [forged, WS],
    );
    expect((await verify()).problems).toEqual([expect.objectContaining({ kind: 'Duplicate Position', seq: 0, entryIds: [forged] })]);
  });

  it('a row inserted past the head is a Checkpoint Mismatch against the head', async () => {
    const forged = testUuid(998);
    await pool.query(
      `INSERT INTO audit_log SELECT $1::uuid, occurred_at, workspace_id, actor_kind, actor_id, action, subject, subject_id, status, error_code, error_message,
         request_id, ip, user_agent, duration_ms, metadata, changes, 13, chain_hash, personal_digest, personal_salt, personal_paths
         FROM audit_log WHERE workspace_id = $2 AND chain_seq = 12`,
      [forged, WS],
    );
    const result = await verify();
    expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'Checkpoint Mismatch', seq: 13, entryIds: [forged] }));
  });

  it('personal data changed without erasure (actor id, IP, a personal value) is Personal Data Altered, not a Broken Link', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET ip = '192.168.1.1' WHERE id = $1`, [ids[1]]);
    await tamper(`UPDATE audit_log SET actor_id = 'someone-else' WHERE id = $1`, [ids[2]]);
    await tamper(`UPDATE audit_log SET changes = jsonb_set(changes, '{email,to}', '"forged@example.com"') WHERE id = $1`, [ids[8]]);
    const result = await verify();
    expect(result.problems.map((p) => [p.kind, p.entryIds])).toEqual([
      ['Personal Data Altered', [ids[1]]],
      ['Personal Data Altered', [ids[2]]],
      ['Personal Data Altered', [ids[8]]],
    ]);
  });

  it('an erased-looking row (salt removed) that still holds personal values is Personal Data Altered', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET personal_salt = NULL, ip = '192.168.1.1' WHERE id = $1`, [ids[4]]);
    expect((await verify()).problems).toEqual([expect.objectContaining({ kind: 'Personal Data Altered', entryIds: [ids[4]] })]);
  });

  it('the newest rows deleted: the head catches it; with the head rewound too, only a checkpoint kept off the database does', async () => {
    const { privateKey, publicKey } = ed25519();
    const published = await signedHead(pool, WS, privateKey);
    const ids = await chainIds(pool, WS);
    await tamper(`DELETE FROM audit_log WHERE id = ANY($1::uuid[])`, [ids.slice(10)]);
    expect((await verify()).problems).toEqual([expect.objectContaining({ kind: 'Truncated', seq: 11, toSeq: 12, entryIds: [ids[9]] })]);

    // Whoever can delete rows can also move the head back: the table alone then looks whole.
    await pool.query(`UPDATE audit_log_chain_heads SET seq = 10, hash = (SELECT chain_hash FROM audit_log WHERE id = $1) WHERE workspace_id = $2`, [
      ids[9],
      WS,
    ]);
    expect(await verify()).toMatchObject({ ok: true, checked: 10 });
    const result = await verify({ checkpoints: [published], publicKeys: { [published.keyId]: publicKey } });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Truncated', seq: 11, toSeq: 12, entryIds: [ids[9]] })]);
  });

  it('a chain rewritten consistently (hashes, head and stored checkpoints) is caught by a published checkpoint', async () => {
    const { privateKey, publicKey } = ed25519();
    const published = await signedHead(pool, WS, privateKey);
    await pool.query(
      `INSERT INTO audit_log_checkpoints (workspace_id, seq, hash, kind, created_at, key_id, signature) VALUES ($1, $2, decode($3, 'hex'), 'Checkpoint', $4, $5, decode($6, 'base64'))`,
      [WS, published.seq, published.hash, published.createdAt, published.keyId, published.signature],
    );
    const ids = await chainIds(pool, WS);
    // The attacker edits entry 3 and recomputes every later hash, the head and the stored checkpoint.
    await asAuditMaintenance(pool, async (client) => {
      await client.query(`UPDATE audit_log SET action = 'Forged' WHERE id = $1`, [ids[2]]);
      const { rows } = await client.query(`SELECT * FROM audit_log WHERE workspace_id = $1 ORDER BY chain_seq`, [WS]);
      let prev: Buffer = Buffer.alloc(32);
      for (const row of rows) {
        prev = chainHash(prev, entryContent(chainRowOfStored(row)!));
        await client.query(`UPDATE audit_log SET chain_hash = $1 WHERE id = $2`, [prev, row.id]);
      }
      await client.query(`UPDATE audit_log_chain_heads SET hash = $1 WHERE workspace_id = $2`, [prev, WS]);
      await client.query(`UPDATE audit_log_checkpoints SET hash = $1 WHERE workspace_id = $2`, [prev, WS]);
    });
    // Without keys the stored (rewritten) checkpoint cannot be told from a real one.
    expect(await verify()).toMatchObject({ ok: true });
    const keys = { [published.keyId]: publicKey };
    // With the key, the stored copy's signature no longer matches its hash; the published copy disagrees with the chain.
    expect((await verify({ publicKeys: keys })).problems).toEqual([expect.objectContaining({ kind: 'Bad Signature', seq: 12 })]);
    expect((await verify({ checkpoints: [published], publicKeys: keys })).problems).toEqual([
      expect.objectContaining({ kind: 'Bad Signature', seq: 12 }),
      expect.objectContaining({ kind: 'Checkpoint Mismatch', seq: 12, entryIds: [ids[11]] }),
    ]);
  });

  it('a checkpoint whose signature does not verify is a Bad Signature (edited field, another key, unknown key id)', async () => {
    const { privateKey, publicKey } = ed25519();
    const good = await signedHead(pool, WS, privateKey);
    const keys = { [good.keyId]: publicKey };
    expect(await verify({ checkpoints: [good], publicKeys: keys })).toMatchObject({ ok: true });

    const edited = { ...good, seq: 11, hash: good.hash }; // claims another position
    const otherKey = signCheckpoint({ ...good }, ed25519().privateKey, good.keyId);
    const unknown = signCheckpoint({ ...good }, ed25519().privateKey);
    const result = await verify({ checkpoints: [edited, otherKey, unknown], publicKeys: keys });
    expect(result.problems.map((p) => [p.kind, p.seq])).toEqual([
      ['Bad Signature', 11],
      ['Bad Signature', 12],
      ['Bad Signature', 12],
    ]);
    expect(result.problems[2]!.message).toMatch(/no public key was given/);
  });

  it('checkpoints of other workspaces are ignored; a checkpoint naming another hash is a Checkpoint Mismatch', async () => {
    const { privateKey, publicKey } = ed25519();
    const other = await signedHead(pool, OTHER, privateKey);
    const wrong = signCheckpoint({ workspaceId: WS, seq: 5, hash: 'ab'.repeat(32), createdAt: new Date().toISOString() }, privateKey);
    const ids = await chainIds(pool, WS);
    const result = await verify({ checkpoints: [other, wrong], publicKeys: { [wrong.keyId]: publicKey } });
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'Checkpoint Mismatch', seq: 5, entryIds: [ids[4]] })]);
  });

  it('from/to verify the entries of a time range only, trusting the hash stored just before it', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET status = 'Failure' WHERE id = $1`, [ids[1]]);
    await tamper(`UPDATE audit_log SET status = 'Failure' WHERE id = $1`, [ids[10]]);
    const range = await verify({ from: new Date(T0 + 4_000), to: new Date(T0 + 8_000).toISOString() });
    expect(range).toMatchObject({ ok: true, checked: 4, firstSeq: 5, lastSeq: 8 });
    const tail = await verify({ from: new Date(T0 + 4_000) });
    expect(tail.problems).toEqual([expect.objectContaining({ kind: 'Broken Link', entryIds: [ids[10]] })]);
    expect(tail).toMatchObject({ firstSeq: 5, lastSeq: 12 });
    expect(await verify({ from: new Date(T0 + 100_000) })).toMatchObject({ ok: true, checked: 0, firstSeq: null });
  });

  it('starts after the newest Retention Boundary: older rows are counted, not verified', async () => {
    const ids = await chainIds(pool, WS);
    // Retention dropped positions 1-4 (their partition) after recording the boundary.
    await pool.query(
      `INSERT INTO audit_log_checkpoints (workspace_id, seq, hash, kind, created_at) SELECT workspace_id, chain_seq, chain_hash, 'Retention Boundary', now() FROM audit_log WHERE id = $1`,
      [ids[3]],
    );
    await tamper(`DELETE FROM audit_log WHERE id = ANY($1::uuid[])`, [ids.slice(0, 3)]);
    // A row left behind at or before the boundary (e.g. a late DEFAULT-partition row) is not verified.
    await tamper(`UPDATE audit_log SET status = 'Failure' WHERE id = $1`, [ids[3]]);
    expect(await verify()).toEqual({ ok: true, workspaceId: WS, checked: 8, beforeBoundary: 1, firstSeq: 5, lastSeq: 12, problems: [] });
    await tamper(`DELETE FROM audit_log WHERE id = $1`, [ids[4]]);
    expect((await verify()).problems).toEqual([expect.objectContaining({ kind: 'Missing Range', seq: 5, toSeq: 5, entryIds: [ids[5]] })]);
  });

  it('entries without a workspace chain under the nil UUID and verify with workspaceId null', async () => {
    await chainWriter(pool).write([1, 2].map((i) => personEntry(200 + i, null, new Date(T0 + i))));
    expect(await verify({ workspaceId: null })).toMatchObject({ ok: true, workspaceId: null, checked: 2 });
    await tamper(`UPDATE audit_log SET action = 'Forged' WHERE workspace_id IS NULL AND chain_seq = 2`);
    expect((await verify({ workspaceId: null })).problems).toEqual([expect.objectContaining({ kind: 'Broken Link', seq: 2 })]);
  });

  it('a row rewritten into nonsense (chain columns of the wrong shape) is reported, never a crash', async () => {
    const ids = await chainIds(pool, WS);
    await tamper(`UPDATE audit_log SET personal_paths = '"not a list"' WHERE id = $1`, [ids[1]]);
    await tamper(`UPDATE audit_log SET personal_paths = '[7, null, {"a": 1}]' WHERE id = $1`, [ids[3]]);
    await tamper(`UPDATE audit_log SET chain_hash = NULL, personal_digest = NULL WHERE id = $1`, [ids[5]]);
    await tamper(`UPDATE audit_log SET chain_hash = '\\x00', personal_salt = '\\x' WHERE id = $1`, [ids[7]]);
    await tamper(`UPDATE audit_log SET chain_seq = -1 WHERE id = $1`, [ids[9]]);
    const result = await verify();
    expect(result.ok).toBe(false);
    for (const id of [ids[1], ids[3], ids[5], ids[7]])
      expect(
        result.problems.some((p) => p.entryIds.includes(id!)),
        id,
      ).toBe(true);
    expect(result.problems).toContainEqual(expect.objectContaining({ kind: 'Missing Range', seq: 10, toSeq: 10 }));
  });

  it('refuses bad options with AUDIT_VERIFY_INVALID before reading anything', async () => {
    const refused = (options: unknown) => verifyAuditChain(pool, { name: NAME }, options as AuditVerifyOptions).catch((error) => error);
    for (const options of [
      undefined,
      { workspaceId: 'not-a-uuid' },
      { workspaceId: `${WS}\u0000` },
      { workspaceId: WS, from: 'yesterday' },
      { workspaceId: WS, from: '2026-01-02', to: '2026-01-01' },
      { workspaceId: WS, checkpoints: {} },
      { workspaceId: WS, checkpoints: [{ workspaceId: WS, seq: -1, hash: 'x', createdAt: 'now', keyId: 'k', signature: '' }] },
      { workspaceId: WS, checkpoints: [null] },
    ]) {
      expect(await refused(options), JSON.stringify(options)).toMatchObject({ code: 'AUDIT_VERIFY_INVALID', message: expect.any(String) });
    }
    expect(await refused({ workspaceId: WS, publicKeys: { k: 'not a key' } })).toMatchObject({ code: 'AUDIT_INVALID_SIGNING_KEY' });
  });

  it('refuses a table without the chain with AUDIT_INTEGRITY_NOT_ENABLED', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS plain_log (id uuid)');
    const error = await verifyAuditChain(pool, { name: auditTableName('plain_log', undefined) }, { workspaceId: WS }).catch((e) => e);
    expect(error).toMatchObject({ code: 'AUDIT_INTEGRITY_NOT_ENABLED', message: expect.stringContaining('integrity') });
  });
});
