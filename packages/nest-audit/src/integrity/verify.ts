import { isSqlPool, withPooledClient, type SqlQueryable } from '../storage/sql-client';
import type { AuditTableName } from '../storage/sql-identifier';
import { chainOf, GENESIS_HASH } from './chain-content';
import { checkCheckpoints } from './verify-checkpoints';
import { validateVerifyOptions, type VerifyInput } from './verify-input';
import { links, personalCheck, ProblemList, VERIFY_COLUMNS } from './verify-rows';
import type { AuditVerification, AuditVerifyOptions } from './verify-result';
import { AuditVerifyError } from './verify.errors';

/** Where and how to verify. */
export interface VerifyTarget {
  name: AuditTableName;
  /** keyId -> public key used when the caller passes no `publicKeys` (the module's own key). */
  defaultPublicKeys?: Map<string, string>;
  /** Entries read per query. @default 2000 */
  pageSize?: number;
}

/**
 * Verifies one workspace's chain: walks its entries by chain position in keyset pages (memory
 * stays flat), recomputes every hash and personal digest, and checks the head and the
 * checkpoints (stored and given). Reads only: works on compressed chunks, and on a replica.
 */
export async function verifyAuditChain(db: SqlQueryable, target: VerifyTarget, options: AuditVerifyOptions): Promise<AuditVerification> {
  const input = validateVerifyOptions(options);
  return inSnapshot(db, (client) => verifyIn(client, target, input));
}

/**
 * Runs `work` in one REPEATABLE READ, READ ONLY transaction on a client of `db` when `db` is a
 * pool, so the walk, the head and the checkpoints are read at one instant while writers go on
 * (otherwise a batch committed mid-walk would look like a moved head). A client is used as it
 * is: its owner decides about the transaction.
 */
async function inSnapshot<T>(db: SqlQueryable, work: (client: SqlQueryable) => Promise<T>): Promise<T> {
  if (!isSqlPool(db)) return work(db);
  return withPooledClient(db, async (client, discard) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await work(client);
    } finally {
      await client.query('ROLLBACK').catch(discard);
    }
  });
}

async function verifyIn(db: SqlQueryable, target: VerifyTarget, input: VerifyInput): Promise<AuditVerification> {
  const { name } = target;
  const chain = chainOf(input.workspaceId);
  const scope = input.workspaceId === null ? '"workspace_id" IS NULL' : '"workspace_id" = $1::uuid';
  const scopeParams = input.workspaceId === null ? [] : [input.workspaceId];
  const at = (n: number) => `$${scopeParams.length + n}`;
  await requireChainTables(db, name);
  const problems = new ProblemList();

  // Retention dropped everything up to the newest boundary: the chain restarts from its hash.
  const boundary = (
    await db.query(
      `SELECT "seq"::text AS "seq", "hash" FROM ${name.derived('_checkpoints')} WHERE "workspace_id" = $1::uuid AND "kind" = 'Retention Boundary' ORDER BY "seq" DESC LIMIT 1`,
      [chain],
    )
  ).rows[0];
  const boundarySeq = boundary ? Number(boundary.seq) : 0;
  const beforeBoundary =
    boundarySeq === 0
      ? 0
      : Number(
          (await db.query(`SELECT count(*)::text AS "n" FROM ${name.qualified} WHERE ${scope} AND "chain_seq" <= ${at(1)}`, [...scopeParams, boundarySeq]))
            .rows[0].n,
        );

  let start = boundarySeq + 1;
  let prev: Buffer = boundary ? boundary.hash : GENESIS_HASH;
  let end: number | undefined;
  let linkKnown = true;
  if (input.from !== undefined || input.to !== undefined) {
    const range = (
      await db.query(
        `SELECT min("chain_seq")::text AS "first", max("chain_seq")::text AS "last" FROM ${name.qualified} WHERE ${scope} AND "chain_seq" >= ${at(1)}` +
          (input.from === undefined ? '' : ` AND "occurred_at" >= ${at(2)}::timestamptz`) +
          (input.to === undefined ? '' : ` AND "occurred_at" < ${at(input.from === undefined ? 2 : 3)}::timestamptz`),
        [...scopeParams, start, ...(input.from === undefined ? [] : [input.from]), ...(input.to === undefined ? [] : [input.to])],
      )
    ).rows[0];
    if (range.first === null) {
      return { ok: true, workspaceId: input.workspaceId, checked: 0, beforeBoundary, firstSeq: null, lastSeq: null, problems: [] };
    }
    if (input.to !== undefined) end = Number(range.last);
    if (Number(range.first) > start) {
      // The range starts inside the chain: the hash stored just before it is trusted (documented).
      start = Number(range.first);
      const before = await db.query(`SELECT "chain_hash" FROM ${name.qualified} WHERE ${scope} AND "chain_seq" = ${at(1)} LIMIT 1`, [
        ...scopeParams,
        start - 1,
      ]);
      if (before.rows[0]) prev = before.rows[0].chain_hash;
      else linkKnown = false; // reported as a Missing Range below, since `expected` stays one before
    }
  }

  // The walk: a group is the rows of one position (more than one only when a row was inserted).
  let expected = linkKnown ? start : start - 1;
  let checked = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let lastId: string | undefined;
  const finish = (group: Record<string, any>[]) => {
    const seq = Number(group[0]!.chain_seq);
    let link = linkKnown;
    if (seq > expected) {
      problems.add({
        kind: 'Missing Range',
        message: `No entry at chain position${seq - 1 > expected ? `s ${expected} to ${seq - 1}` : ` ${expected}`}${lastId ? ` (between entries ${lastId} and ${group[0]!.id})` : ` (before entry ${group[0]!.id})`}: entries were deleted.`,
        entryIds: lastId ? [lastId, group[0]!.id] : [group[0]!.id],
        seq: expected,
        toSeq: seq - 1,
      });
      link = false;
    }
    const linked = group.filter((row) => links(prev, row));
    if (group.length > 1) {
      problems.add({
        kind: 'Duplicate Position',
        message: `${group.length} entries at chain position ${seq} (${group.map((r) => r.id).join(', ')}): an entry was inserted.`,
        entryIds: group.map((row) => row.id),
        seq,
      });
    }
    if (link && linked.length === 0) {
      problems.add({
        kind: 'Broken Link',
        message: `The hash of entry ${group.map((r) => r.id).join(', ')} at chain position ${seq} does not follow from its content and the hash stored at the position before it: this entry was changed or moved, or the one before it was.`,
        entryIds: group.map((row) => row.id),
        seq,
      });
    }
    for (const row of group) personalCheck(row, problems);
    const kept = linked[0] ?? group[0]!;
    prev = kept.chain_hash ?? Buffer.alloc(0);
    lastId = kept.id;
    expected = seq + 1;
    linkKnown = true;
    checked += group.length;
    firstSeq ??= seq;
    lastSeq = seq;
  };

  const pageSize = target.pageSize ?? 2_000;
  const page = [
    `SELECT ${VERIFY_COLUMNS} FROM ${name.qualified}`,
    `WHERE ${scope} AND "chain_seq" >= ${at(1)}${end === undefined ? '' : ` AND "chain_seq" <= ${at(4)}`} AND "chain_seq" >= ${at(2)}::bigint AND ("chain_seq", "id") > (${at(2)}::bigint, ${at(3)}::uuid)`,
    `ORDER BY "chain_seq", "id" LIMIT ${pageSize}`,
  ].join('\n');
  let after: [string, string] = [String(start - 1), '00000000-0000-0000-0000-000000000000'];
  let group: Record<string, any>[] = [];
  for (;;) {
    const { rows } = await db.query(page, [...scopeParams, start, ...after, ...(end === undefined ? [] : [end])]);
    for (const row of rows) {
      if (group.length > 0 && group[0]!.chain_seq !== row.chain_seq) {
        finish(group);
        group = [];
      }
      group.push(row);
    }
    if (rows.length < pageSize) break;
    const last = rows[rows.length - 1]!;
    after = [last.chain_seq, last.id];
  }
  if (group.length > 0) finish(group);

  // No writer gives a position below 1: a row there was put in by hand, where the walk never looks.
  const below = await db.query(
    `SELECT "id"::text AS "id", "chain_seq"::text AS "seq" FROM ${name.qualified} WHERE ${scope} AND "chain_seq" < 1 ORDER BY "chain_seq", "id" LIMIT 100`,
    scopeParams,
  );
  if (below.rows.length > 0) {
    problems.add({
      kind: 'Duplicate Position',
      message: `${below.rows.length === 100 ? 'At least 100 entries' : `${below.rows.length} entr${below.rows.length === 1 ? 'y' : 'ies'}`} at chain positions below 1, where no writer puts one: inserted by hand.`,
      entryIds: below.rows.map((row) => row.id),
      seq: Number(below.rows[0].seq),
    });
  }

  // The head and the checkpoints name hashes at positions: compare them with the stored entries.
  await checkCheckpoints(db, {
    name,
    chain,
    scope,
    scopeParams,
    start,
    end,
    last: { seq: lastSeq ?? start - 1, hash: prev, id: lastId },
    given: input.checkpoints.filter((c) => c.workspaceId.toLowerCase() === chain),
    keys: input.publicKeys ?? target.defaultPublicKeys,
    problems,
  });
  return { ok: problems.items.length === 0, workspaceId: input.workspaceId, checked, beforeBoundary, firstSeq, lastSeq, problems: problems.items };
}

/** Refuses a table its migration did not give the chain columns and tables. */
async function requireChainTables(db: SqlQueryable, name: AuditTableName): Promise<void> {
  const { rows } = await db.query(
    `SELECT to_regclass($1) IS NOT NULL AS "table", to_regclass($2) IS NOT NULL AS "heads", to_regclass($3) IS NOT NULL AS "checkpoints",
            EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'chain_seq' AND NOT attisdropped) AS "columns"`,
    [name.qualified, name.derived('_chain_heads'), name.derived('_checkpoints')],
  );
  const found = rows[0];
  if (!found.table) {
    throw new AuditVerifyError('AUDIT_INTEGRITY_NOT_ENABLED', `No audit table ${name.qualified}: check the database, --schema and --table.`);
  }
  if (!found.heads || !found.checkpoints || !found.columns) {
    throw new AuditVerifyError(
      'AUDIT_INTEGRITY_NOT_ENABLED',
      `Audit table ${name.qualified} has no hash chain (chain columns, ${name.table}_chain_heads or ${name.table}_checkpoints missing): run its migration with integrity on (AuditModule option integrity: { chain: true }).`,
    );
  }
}
