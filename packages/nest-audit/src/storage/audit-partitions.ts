import { AuditStorageError } from './audit-storage.errors';
import { AUDIT_STORAGE_DEFAULTS, type AuditPartitionInterval, type AuditTableOptions } from './audit-storage.options';
import { createPartitionSql, partitionRanges, addPeriods, periodStart } from './audit-partition-range';
import { inStorageTransaction, type SqlQueryable } from './sql-client';
import { auditTableName, checkInterval, quoteIdentifier, type AuditTableName } from './sql-identifier';

/** A native partition of the audit table, as the catalog describes it. */
export interface AuditPartition {
  schema: string;
  name: string;
  /** Lower bound (inclusive); null for a DEFAULT or MINVALUE partition. */
  from: Date | null;
  /** Upper bound (exclusive); null for a DEFAULT or MAXVALUE partition. */
  to: Date | null;
}

/** Options of {@link ensureAuditPartitions}. */
export interface EnsureAuditPartitionsOptions extends AuditTableOptions {
  /**
   * Partition width; must match the partitions that exist.
   * @default the interval of the existing partitions, else 'month'
   */
  interval?: AuditPartitionInterval;
  /**
   * Periods after the current one to create now.
   * @default 2 (months), 7 (days)
   */
  ahead?: number;
  /**
   * Earliest instant to cover (for backfills); partitions are created from its period on.
   * @default the start of the previous period (so late entries around a boundary still land),
   * or the end of the last partition when that is earlier (no gap is ever left behind it)
   */
  from?: Date | string;
  /** @default new Date() */
  now?: Date;
}

/** Options of {@link dropExpiredAuditPartitions}. */
export interface DropExpiredAuditPartitionsOptions extends AuditTableOptions {
  /**
   * Partitions whose whole range is older than `now - retainFor` are dropped.
   * @default '365 days'
   */
  retainFor?: string;
  /** @default the server's now() */
  now?: Date;
}

const DAY_MS = 86_400_000;

/** The partitions of a natively partitioned audit table, oldest first. */
export async function listAuditPartitions(db: SqlQueryable, options: AuditTableOptions = {}): Promise<AuditPartition[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  await assertPartitioned(db, name);
  return readPartitions(db, name);
}

/**
 * Creates the missing partitions up to `ahead` periods after the current one, and returns
 * their names. Run it at least once per period (a daily cron is plenty): the table has no
 * DEFAULT partition, so an entry past the last partition cannot be written.
 */
export async function ensureAuditPartitions(db: SqlQueryable, options: EnsureAuditPartitionsOptions = {}): Promise<string[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  return inStorageTransaction(db, (client) => ensurePartitionsIn(client, name, options));
}

/**
 * Drops the partitions that hold only entries older than `retainFor` (their upper bound is at
 * or before `now - retainFor`) and returns their names. This is the retention policy of the
 * native-partition layout: dropping a partition is instant and leaves no bloat, unlike DELETE.
 */
export async function dropExpiredAuditPartitions(db: SqlQueryable, options: DropExpiredAuditPartitionsOptions = {}): Promise<string[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  const retainFor = checkInterval('retainFor', options.retainFor ?? AUDIT_STORAGE_DEFAULTS.retainFor);
  return inStorageTransaction(db, async (client) => {
    await assertPartitioned(client, name);
    const { rows } = await client.query('SELECT COALESCE($1::timestamptz, now()) - $2::interval AS cutoff', [options.now?.toISOString() ?? null, retainFor]);
    const cutoff = (rows[0] as { cutoff: Date }).cutoff;
    const expired = (await readPartitions(client, name)).filter((p) => p.to !== null && p.to <= cutoff);
    for (const partition of expired) {
      await client.query(`DROP TABLE ${quoteIdentifier(partition.schema)}.${quoteIdentifier(partition.name)}`);
    }
    return expired.map((p) => p.name);
  });
}

/** {@link ensureAuditPartitions} then {@link dropExpiredAuditPartitions}: the daily upkeep without TimescaleDB. */
export async function maintainAuditPartitions(
  db: SqlQueryable,
  options: EnsureAuditPartitionsOptions & DropExpiredAuditPartitionsOptions = {},
): Promise<{ created: string[]; dropped: string[] }> {
  const created = await ensureAuditPartitions(db, options);
  const dropped = await dropExpiredAuditPartitions(db, options);
  return { created, dropped };
}

/** The work of {@link ensureAuditPartitions} inside a transaction that already holds the lock. */
export async function ensurePartitionsIn(client: SqlQueryable, name: AuditTableName, options: EnsureAuditPartitionsOptions): Promise<string[]> {
  await assertPartitioned(client, name);
  const existing = await readPartitions(client, name);
  const interval = partitionInterval(existing, options.interval);
  const ahead = options.ahead ?? AUDIT_STORAGE_DEFAULTS.partitionsAhead[interval];
  if (!Number.isInteger(ahead) || ahead < 0 || ahead > 1000) {
    throw new AuditStorageError('AUDIT_INVALID_STORAGE_OPTIONS', `Audit partition option "ahead" must be an integer from 0 to 1000, got ${String(ahead)}.`);
  }
  const now = options.now ?? new Date();
  const from = options.from === undefined ? defaultFrom(existing, now, interval) : new Date(options.from);
  if (Number.isNaN(from.getTime())) {
    throw new AuditStorageError('AUDIT_INVALID_STORAGE_OPTIONS', `Audit partition option "from" must be a Date or an ISO 8601 string, got ${String(options.from)}.`);
  }
  const taken = new Set(existing.map((p) => p.from?.getTime()));
  const missing = partitionRanges(name.table, interval, from, now, ahead).filter((range) => !taken.has(range.from.getTime()));
  for (const range of missing) await client.query(createPartitionSql(name, range, false));
  return missing.map((range) => range.name);
}

function defaultFrom(existing: AuditPartition[], now: Date, interval: AuditPartitionInterval): Date {
  const previous = addPeriods(periodStart(now, interval), -1, interval);
  const ends = existing.flatMap((p) => (p.to === null ? [] : [p.to.getTime()]));
  return ends.length > 0 && Math.max(...ends) < previous.getTime() ? new Date(Math.max(...ends)) : previous;
}

function partitionInterval(existing: AuditPartition[], asked: AuditPartitionInterval | undefined): AuditPartitionInterval {
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

async function assertPartitioned(db: SqlQueryable, name: AuditTableName): Promise<void> {
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

async function readPartitions(db: SqlQueryable, name: AuditTableName): Promise<AuditPartition[]> {
  // pg_get_expr renders bounds as timestamptz literals in the session's time zone, and the cast
  // reads them back in the same session: exact whatever the TimeZone setting.
  const { rows } = await db.query(
    `SELECT n.nspname AS schema, c.relname AS name, b.m[1]::timestamptz AS "from", b.m[2]::timestamptz AS "to"
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS m) b
      WHERE i.inhparent = to_regclass($1)
      ORDER BY 3 NULLS FIRST, 2`,
    [name.qualified],
  );
  return rows as AuditPartition[];
}
