import { chainHash, chainRowOfStored, entryContent, GENESIS_HASH, GLOBAL_CHAIN } from '../../src/integrity/chain-content';
import { personalDigest, valuesAt } from '../../src/integrity/personal-data';
import type { SqlQueryable } from '../../src/storage/sql-client';

/** What recomputing one workspace's chain from its stored rows found. */
export interface ChainCheck {
  /** chain_seq of every row, in seq order (bigint as number). */
  seqs: number[];
  /** Entry ids whose stored hash does not follow from the row and the hash before it. */
  broken: string[];
  /** Entry ids whose personal digest does not match actor_id, ip, user_agent and the personal values. */
  digestMismatch: string[];
  /** The head row (seq, hash hex), or undefined when the chain has none. */
  head: { seq: number; hash: string } | undefined;
  /** The hash of the last row, hex. */
  lastHash: string | undefined;
}

/**
 * Recomputes a workspace's chain from the stored rows alone (what a verifier does), in seq order:
 * each hash from the row and the previous stored hash, each digest from the stored salt.
 */
export async function checkChain(db: SqlQueryable, workspaceId: string | null, table = 'audit_log'): Promise<ChainCheck> {
  const { rows } = await db.query(
    `SELECT * FROM "${table}" WHERE ${workspaceId === null ? 'workspace_id IS NULL' : 'workspace_id = $1'} AND chain_seq IS NOT NULL ORDER BY chain_seq, id`,
    workspaceId === null ? [] : [workspaceId],
  );
  const heads = await db.query(`SELECT seq::int AS seq, encode(hash, 'hex') AS hash FROM "${table}_chain_heads" WHERE workspace_id = $1`, [
    workspaceId ?? GLOBAL_CHAIN,
  ]);
  const broken: string[] = [];
  const digestMismatch: string[] = [];
  let prev = GENESIS_HASH;
  for (const row of rows) {
    const chainRow = chainRowOfStored(row)!;
    if (!chainHash(prev, entryContent(chainRow)).equals(row.chain_hash)) broken.push(row.id);
    const digest = personalDigest(
      row.personal_salt,
      row.actor_id,
      row.ip,
      row.user_agent,
      valuesAt({ metadata: row.metadata, changes: row.changes }, chainRow.personalPaths),
    );
    if (!digest.equals(row.personal_digest)) digestMismatch.push(row.id);
    prev = row.chain_hash;
  }
  return {
    seqs: rows.map((row) => Number(row.chain_seq)),
    broken,
    digestMismatch,
    head: heads.rows[0],
    lastHash: rows.length ? Buffer.from(rows.at(-1).chain_hash).toString('hex') : undefined,
  };
}

/** 1..n */
export const positions = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
