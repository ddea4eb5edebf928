import { GLOBAL_CHAIN } from '../integrity/chain-content';
import { RETENTION_BOUNDARY_KIND } from './audit-checkpoints.sql';
import type { SqlQueryable } from './sql-client';
import { quoteLiteral, type AuditTableName } from './sql-identifier';

/** Rows about to be dropped: a whole relation (a partition), or its rows older than `before`. */
export interface RetentionSource {
  /** A quoted relation name. */
  relation: string;
  before?: Date;
}

/**
 * Records, per workspace, the newest chained entry among the rows about to be dropped (its
 * `chain_seq` and `chain_hash`) as a 'Retention Boundary' in `<table>_checkpoints`: the verifier
 * starts after it, and any later signed checkpoint proves the links after it. Nothing happens
 * when the table has no chain columns (migrated by an earlier version) or no dropped row is
 * chained. A failure (the checkpoints table missing, say) fails the caller's transaction: no row
 * leaves a chain unrecorded. Returns how many boundaries were recorded.
 */
export async function recordRetentionBoundaries(
  client: SqlQueryable,
  name: AuditTableName,
  sources: readonly RetentionSource[],
  alsoFrom?: RetentionSource,
): Promise<number> {
  const all = alsoFrom ? [...sources, alsoFrom] : [...sources];
  if (all.length === 0 || !(await hasChainColumns(client, name))) return 0;
  const params: unknown[] = [];
  const selects = all.map((source) => {
    let where = '"chain_seq" IS NOT NULL';
    if (source.before) {
      params.push(source.before.toISOString());
      where += ` AND "occurred_at" < $${params.length}::timestamptz`;
    }
    return `SELECT "workspace_id", "chain_seq", "chain_hash" FROM ONLY ${source.relation} WHERE ${where}`;
  });
  // Read first, write only when a dropped row is chained: a table without chained rows needs no
  // privilege on the checkpoints table (e.g. a role that only owns the partitions).
  const { rows } = await client.query(
    `SELECT DISTINCT ON (w) w::text AS w, "chain_seq"::text AS seq, encode("chain_hash", 'hex') AS hash
       FROM (SELECT COALESCE("workspace_id", ${quoteLiteral(GLOBAL_CHAIN)}::uuid) AS w, "chain_seq", "chain_hash" FROM (${selects.join(' UNION ALL ')}) dropped) d
      ORDER BY w, "chain_seq" DESC`,
    params,
  );
  if (rows.length === 0) return 0;
  const found = rows as { w: string; seq: string; hash: string }[];
  const result = await client.query(
    `INSERT INTO ${name.derived('_checkpoints')} ("workspace_id", "seq", "hash", "kind", "created_at")
     SELECT w, s, decode(h, 'hex'), ${quoteLiteral(RETENTION_BOUNDARY_KIND)}, now() FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS t(w, s, h)
     ON CONFLICT DO NOTHING`,
    [found.map((r) => r.w), found.map((r) => r.seq), found.map((r) => r.hash)],
  );
  return result.rowCount ?? 0;
}

/** Whether the table has the chain columns. */
async function hasChainColumns(client: SqlQueryable, name: AuditTableName): Promise<boolean> {
  const { rows } = await client.query(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'chain_seq' AND NOT attisdropped) AS found`,
    [name.qualified],
  );
  return (rows[0] as { found: boolean }).found;
}
