import type { SqlQueryable } from '../storage/sql-client';
import type { AuditTableName } from '../storage/sql-identifier';
import { verifyCheckpointSignature, type AuditCheckpoint } from './checkpoint';
import type { ProblemList } from './verify-rows';

/** What the walk found, and where the checkpoints are checked against it. */
export interface CheckpointScope {
  name: AuditTableName;
  /** The chain id (workspace id, or the nil UUID). */
  chain: string;
  /** SQL condition selecting the workspace's rows, and its parameters ($1 when there is one). */
  scope: string;
  scopeParams: unknown[];
  /** First position verified. */
  start: number;
  /** Last position verified when `to` limited the walk: the head and later checkpoints are then not checked. */
  end: number | undefined;
  /** The last position the walk reached (start - 1 when none), its stored hash and entry. */
  last: { seq: number; hash: Buffer; id: string | undefined };
  /** The caller's checkpoints of this chain. */
  given: AuditCheckpoint[];
  /** Undefined or empty: no key known, signatures are not checked. */
  keys: Map<string, string> | undefined;
  problems: ProblemList;
}

/** Checkpoints compared per query. */
const BATCH = 1_000;

/**
 * Compares the head and every checkpoint in the verified range (stored ones, then the caller's)
 * with the stored entries: a signature that does not verify is a Bad Signature, a hash that
 * differs a Checkpoint Mismatch, a position past the last entry Truncated.
 */
export async function checkCheckpoints(db: SqlQueryable, s: CheckpointScope): Promise<void> {
  if (s.end === undefined) await checkHead(db, s);
  const table = s.name.derived('_checkpoints');
  let after = s.start - 1;
  for (;;) {
    const { rows } = await db.query(
      `SELECT "workspace_id"::text AS "workspace_id", "seq"::text AS "seq", "hash", "created_at", "key_id", "signature" FROM ${table}
        WHERE "workspace_id" = $1::uuid AND "kind" = 'Checkpoint' AND "seq" > $2${s.end === undefined ? '' : ' AND "seq" <= $3'} ORDER BY "seq" LIMIT ${BATCH}`,
      [s.chain, after, ...(s.end === undefined ? [] : [s.end])],
    );
    await checkBatch(db, s, rows.map(storedCheckpoint), 'stored');
    if (rows.length < BATCH) break;
    after = Number(rows[rows.length - 1].seq);
  }
  const given = s.given.filter((c) => c.seq >= s.start && (s.end === undefined || c.seq <= s.end)).sort((a, b) => a.seq - b.seq);
  for (let i = 0; i < given.length; i += BATCH) await checkBatch(db, s, given.slice(i, i + BATCH), 'published');
}

function storedCheckpoint(row: Record<string, any>): AuditCheckpoint {
  return {
    workspaceId: row.workspace_id,
    seq: Number(row.seq),
    hash: Buffer.from(row.hash).toString('hex'),
    createdAt: new Date(row.created_at).toISOString(),
    keyId: row.key_id ?? '',
    signature: row.signature ? Buffer.from(row.signature).toString('base64') : '',
  };
}

async function checkBatch(db: SqlQueryable, s: CheckpointScope, checkpoints: AuditCheckpoint[], origin: 'stored' | 'published'): Promise<void> {
  if (checkpoints.length === 0) return;
  const at = s.scopeParams.length + 1;
  const { rows } = await db.query(
    `SELECT "chain_seq"::text AS "seq", "chain_hash", "id"::text AS "id" FROM ${s.name.qualified} WHERE ${s.scope} AND "chain_seq" = ANY($${at}::bigint[])`,
    [...s.scopeParams, [...new Set(checkpoints.map((c) => String(c.seq)))]],
  );
  const bySeq = new Map<number, { hash: string; id: string }[]>();
  for (const row of rows) {
    const list = bySeq.get(Number(row.seq)) ?? [];
    list.push({ hash: row.chain_hash ? Buffer.from(row.chain_hash).toString('hex') : '', id: row.id });
    bySeq.set(Number(row.seq), list);
  }
  const what = (c: AuditCheckpoint) => `The ${origin} checkpoint at chain position ${c.seq} (created ${c.createdAt}, key ${c.keyId || 'none'})`;
  for (const c of checkpoints) {
    const found = bySeq.get(c.seq) ?? [];
    const ids = found.map((row) => row.id);
    if (s.keys && s.keys.size > 0) {
      const key = s.keys.get(c.keyId);
      if (!key || !verifyCheckpointSignature(c, key)) {
        s.problems.add({
          kind: 'Bad Signature',
          message: `${what(c)} ${key ? 'has a signature that is not valid for its key' : 'names a key id no public key was given for'}: it is not evidence (forged, or signed with another key: pass that key in publicKeys).`,
          entryIds: ids,
          seq: c.seq,
        });
        continue;
      }
    }
    if (c.seq > s.last.seq) {
      s.problems.add({
        kind: 'Truncated',
        message: `${what(c)} is past the last entry (position ${s.last.seq}${s.last.id ? `, entry ${s.last.id}` : ''}): the newest entries were deleted.`,
        entryIds: s.last.id ? [s.last.id] : [],
        seq: s.last.seq + 1,
        toSeq: c.seq,
      });
    } else if (!found.some((row) => row.hash === c.hash)) {
      s.problems.add({
        kind: 'Checkpoint Mismatch',
        message: `${what(c)} names hash ${c.hash}, but ${found.length ? `entry ${ids.join(', ')} has ${found.map((row) => row.hash).join(', ')}` : 'no entry is left there'}: the chain up to there was rewritten.`,
        entryIds: ids,
        seq: c.seq,
      });
    }
  }
}

/** The head row: where the writer says the chain ends. */
async function checkHead(db: SqlQueryable, s: CheckpointScope): Promise<void> {
  const head = (await db.query(`SELECT "seq"::text AS "seq", "hash" FROM ${s.name.derived('_chain_heads')} WHERE "workspace_id" = $1::uuid`, [s.chain]))
    .rows[0];
  const headSeq = head ? Number(head.seq) : 0;
  const last = s.last;
  if (headSeq > last.seq) {
    s.problems.add({
      kind: 'Truncated',
      message: `The chain head says position ${headSeq}, but the last entry is at ${last.seq}${last.id ? ` (entry ${last.id})` : ''}: the newest entries were deleted.`,
      entryIds: last.id ? [last.id] : [],
      seq: last.seq + 1,
      toSeq: headSeq,
    });
    return;
  }
  if (headSeq < last.seq) {
    const beyond = await db.query(
      `SELECT "id"::text AS "id" FROM ${s.name.qualified} WHERE ${s.scope} AND "chain_seq" > $${s.scopeParams.length + 1} ORDER BY "chain_seq", "id" LIMIT 100`,
      [...s.scopeParams, headSeq],
    );
    s.problems.add({
      kind: 'Checkpoint Mismatch',
      message: `The chain head says position ${headSeq}, but entries go on to ${last.seq}: entries were added past the head.`,
      entryIds: beyond.rows.map((row) => row.id),
      seq: headSeq + 1,
      toSeq: last.seq,
    });
    return;
  }
  if (headSeq > 0 && !Buffer.from(head.hash).equals(last.hash)) {
    s.problems.add({
      kind: 'Checkpoint Mismatch',
      message: `The chain head at position ${headSeq} names another hash than entry ${last.id ?? '(none)'} has: the head or the entry was rewritten.`,
      entryIds: last.id ? [last.id] : [],
      seq: headSeq,
    });
  }
}
