import type { AuditDefaultPartition } from './audit-default-partition';
import { AuditStorageError } from './audit-storage.errors';
import { AUDIT_STORAGE_DEFAULTS, type AuditPartitionInterval } from './audit-storage.options';
import type { SqlQueryable } from './sql-client';
import type { AuditTableName } from './sql-identifier';

/** A range partition of the audit table, as the catalog describes it. */
export interface AuditPartition {
  schema: string;
  name: string;
  /** Lower bound (inclusive); null for a MINVALUE bound. */
  from: Date | null;
  /** Upper bound (exclusive); null for a MAXVALUE bound. */
  to: Date | null;
}

/** The partitions of the table: its ranges, oldest first, and its DEFAULT partition if it has one. */
export interface AuditPartitionLayout {
  ranges: AuditPartition[];
  defaultPartition: AuditDefaultPartition | undefined;
}

const DAY_MS = 86_400_000;

/** Fails unless the table exists and is natively partitioned. */
export async function assertPartitioned(db: SqlQueryable, name: AuditTableName): Promise<void> {
  const { rows } = await db.query('SELECT c.relkind::text AS kind FROM pg_class c WHERE c.oid = to_regclass($1)', [name.qualified]);
  const kind = (rows[0] as { kind: string } | undefined)?.kind;
  if (kind !== 'p') {
    throw new AuditStorageError(
      'AUDIT_TABLE_NOT_PARTITIONED',
      kind === undefined
        ? `Audit table ${name.qualified} does not exist: run migrateAudit first.`
        : `Audit table ${name.qualified} is not natively partitioned (a hypertable keeps its retention with a TimescaleDB policy instead).`,
    );
  }
}

/** Reads the table's partitions from the catalog. */
export async function readPartitionLayout(db: SqlQueryable, name: AuditTableName): Promise<AuditPartitionLayout> {
  // pg_get_expr renders bounds as timestamptz literals in the session's time zone, and the cast
  // reads them back in the same session: exact whatever the TimeZone setting.
  const { rows } = await db.query(
    `SELECT n.nspname AS schema, c.relname AS name, b.m[1]::timestamptz AS "from", b.m[2]::timestamptz AS "to",
            c.oid = p.partdefid AS is_default
       FROM pg_inherits i
       JOIN pg_partitioned_table p ON p.partrelid = i.inhparent
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS m) b
      WHERE i.inhparent = to_regclass($1)
      ORDER BY 3 NULLS FIRST, 2`,
    [name.qualified],
  );
  const found = rows as (AuditPartition & { is_default: boolean })[];
  const defaults = found.find((row) => row.is_default);
  return {
    ranges: found.filter((row) => !row.is_default).map(({ schema, name: table, from, to }) => ({ schema, name: table, from, to })),
    defaultPartition: defaults && { schema: defaults.schema, name: defaults.name },
  };
}

/** The interval the existing partitions use, checked against the one asked for. */
export function partitionInterval(existing: readonly AuditPartition[], asked: AuditPartitionInterval | undefined): AuditPartitionInterval {
  const bounded = existing.find((p) => p.from !== null && p.to !== null);
  const used = bounded ? (bounded.to!.getTime() - bounded.from!.getTime() <= DAY_MS ? 'day' : 'month') : undefined;
  if (asked !== undefined && asked !== 'day' && asked !== 'month') {
    throw new AuditStorageError('AUDIT_INVALID_STORAGE_OPTIONS', `Audit partition interval must be 'day' or 'month', got ${JSON.stringify(asked)}.`);
  }
  if (asked !== undefined && used !== undefined && asked !== used) {
    throw new AuditStorageError(
      'AUDIT_PARTITION_INTERVAL_MISMATCH',
      `The audit table is partitioned by ${used}, but partitions by ${asked} were asked for: leave the interval unset or set it to '${used}'.`,
    );
  }
  return used ?? asked ?? AUDIT_STORAGE_DEFAULTS.partitionInterval;
}
