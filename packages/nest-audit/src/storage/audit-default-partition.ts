import type { AuditPartitionInterval } from './audit-storage.options';
import { partitionRange, rangeBoundSql, type AuditPartitionRange } from './audit-partition-range';
import type { SqlQueryable } from './sql-client';
import { quoteIdentifier, type AuditTableName } from './sql-identifier';

/** The DEFAULT partition of the audit table, as the catalog names it. */
export interface AuditDefaultPartition {
  schema: string;
  name: string;
}

/** What {@link moveRowsOutOfDefault} did. */
export interface DefaultPartitionMove {
  /** Partitions created to take rows out of the DEFAULT partition, oldest first. */
  created: AuditPartitionRange[];
  /** Rows moved into them. */
  moved: number;
  /** Rows still in the DEFAULT partition (see {@link moveRowsOutOfDefault}). */
  left: number;
}

/**
 * At most this many partitions are made out of DEFAULT rows per run (the periods the upkeep
 * creates anyway always are): it bounds how long one run holds the table's lock when rows with
 * wild timestamps have piled up; the next run carries on.
 */
export const MAX_MOVES_PER_RUN = 120;

/** `"schema"."name"` of a partition found in the catalog. */
export function qualifiedPartition(partition: AuditDefaultPartition): string {
  return `${quoteIdentifier(partition.schema)}.${quoteIdentifier(partition.name)}`;
}

/** Whether the DEFAULT partition holds any row (an index-free probe that stops at the first row). */
export async function defaultPartitionHasRows(client: SqlQueryable, partition: AuditDefaultPartition): Promise<boolean> {
  const { rows } = await client.query(`SELECT EXISTS (SELECT 1 FROM ONLY ${qualifiedPartition(partition)}) AS found`);
  return (rows[0] as { found: boolean }).found;
}

/**
 * Gives every period that has rows in the DEFAULT partition a partition of its own, and moves
 * the rows there. PostgreSQL refuses to create a partition whose range has rows in DEFAULT, so
 * each one is built beside the table: a table like the parent, the rows moved into it
 * (DELETE ... RETURNING feeding an INSERT), then ATTACH PARTITION, which creates the primary
 * key and the indexes under the same names `CREATE TABLE ... PARTITION OF` gives them.
 *
 * Call it in a transaction that holds the storage advisory lock and an ACCESS EXCLUSIVE lock on
 * the table: no row can reach DEFAULT between the move and the attach.
 *
 * Rows stay in DEFAULT when their period overlaps an existing partition (only possible with
 * partitions made by hand), when their timestamp is outside years 1 to 9999 (±infinity), or when
 * more than {@link MAX_MOVES_PER_RUN} other periods are waiting; `left` counts them.
 *
 * @param wanted periods (by start) that are created whatever the cap: the upkeep's own
 */
export async function moveRowsOutOfDefault(
  client: SqlQueryable,
  name: AuditTableName,
  partition: AuditDefaultPartition,
  interval: AuditPartitionInterval,
  existing: readonly { from: Date | null; to: Date | null }[],
  wanted: ReadonlySet<number>,
): Promise<DefaultPartitionMove> {
  const source = qualifiedPartition(partition);
  // date_trunc with a time zone (PostgreSQL 12+): periods are UTC whatever the session's TimeZone.
  const { rows } = await client.query(
    `SELECT date_trunc($1, "occurred_at", 'UTC') AS start, count(*)::bigint AS n FROM ONLY ${source}
      WHERE "occurred_at" > '-infinity' AND "occurred_at" < 'infinity' GROUP BY 1 ORDER BY 1`,
    [interval],
  );
  const periods = (rows as { start: Date; n: string }[])
    .map((row) => partitionRange(name.table, row.start, interval))
    .filter((range) => range.from.getUTCFullYear() >= 1 && range.from.getUTCFullYear() <= 9999)
    .filter((range) => !existing.some((p) => overlaps(p, range)));
  const chosen = [
    ...periods.filter((range) => wanted.has(range.from.getTime())),
    ...periods.filter((range) => !wanted.has(range.from.getTime())).slice(0, MAX_MOVES_PER_RUN),
  ];
  chosen.sort((a, b) => a.from.getTime() - b.from.getTime());

  const columns = await columnList(client, name);
  let moved = 0;
  for (const range of chosen) {
    const target = name.sibling(range.name);
    // LIKE copies the columns, their NOT NULL, defaults and CHECK constraints, which ATTACH
    // requires; no index, so ATTACH builds each once over the moved rows.
    await client.query(`CREATE TABLE ${target} (LIKE ${name.qualified} INCLUDING ALL EXCLUDING INDEXES)`);
    const result = await client.query(
      `WITH moved AS (DELETE FROM ONLY ${source} WHERE "occurred_at" >= $1::timestamptz AND "occurred_at" < $2::timestamptz RETURNING ${columns})
       INSERT INTO ${target} (${columns}) SELECT ${columns} FROM moved`,
      [range.from.toISOString(), range.to.toISOString()],
    );
    moved += result.rowCount ?? 0;
    await client.query(`ALTER TABLE ${name.qualified} ATTACH PARTITION ${target} ${rangeBoundSql(range)}`);
  }
  const { rows: left } = await client.query(`SELECT count(*)::bigint AS n FROM ONLY ${source}`);
  return { created: chosen, moved, left: Number((left[0] as { n: string }).n) };
}

/**
 * Deletes the DEFAULT partition's rows older than `before` (the start of the oldest period that
 * is kept), the way dropping their partition would have; returns how many.
 */
export async function deleteExpiredFromDefault(client: SqlQueryable, partition: AuditDefaultPartition, before: Date): Promise<number> {
  const result = await client.query(`DELETE FROM ONLY ${qualifiedPartition(partition)} WHERE "occurred_at" < $1::timestamptz`, [before.toISOString()]);
  return result.rowCount ?? 0;
}

/** The parent's stored columns, quoted, in order: the move names them on both sides. */
async function columnList(client: SqlQueryable, name: AuditTableName): Promise<string> {
  const { rows } = await client.query(
    "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
    [name.qualified],
  );
  return (rows as { attname: string }[]).map((row) => quoteIdentifier(row.attname)).join(', ');
}

function overlaps(partition: { from: Date | null; to: Date | null }, range: AuditPartitionRange): boolean {
  const from = partition.from?.getTime() ?? -Infinity;
  const to = partition.to?.getTime() ?? Infinity;
  return from < range.to.getTime() && range.from.getTime() < to;
}
