import { AuditStorageError } from './audit-storage.errors';
import { AUDIT_STORAGE_DEFAULTS, type AuditPartitionInterval, type AuditTableOptions } from './audit-storage.options';
import { addPeriods, createDefaultPartitionSql, createPartitionSql, defaultPartitionName, partitionRanges, periodStart } from './audit-partition-range';
import { assertPartitioned, partitionInterval, readPartitionLayout, type AuditPartition } from './audit-partition-catalog';
import { defaultPartitionHasRows, deleteExpiredFromDefault, moveRowsOutOfDefault, qualifiedPartition } from './audit-default-partition';
import { auditPartitionGuardSql, enterAuditMaintenance } from './audit-guard.sql';
import { recordRetentionBoundaries } from './audit-retention-boundaries';
import { inStorageTransaction, type SqlQueryable } from './sql-client';
import { auditTableName, checkInterval, quoteIdentifier, type AuditTableName } from './sql-identifier';

export type { AuditPartition } from './audit-partition-catalog';

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
   * Partitions whose whole range is older than `now - retainFor` are dropped, and the DEFAULT
   * partition's rows of those periods deleted.
   * @default '365 days'
   */
  retainFor?: string;
  /** @default the server's now() */
  now?: Date;
}

/** What {@link maintainAuditPartitions} did. */
export interface AuditPartitionUpkeep {
  /** Partitions created: ahead of time, for rows that were in DEFAULT, and DEFAULT itself when it was missing. */
  created: string[];
  /** Expired partitions dropped. */
  dropped: string[];
  /** Rows moved out of the DEFAULT partition into their period's partition. */
  movedFromDefault: number;
  /** Expired rows deleted from the DEFAULT partition. */
  expiredFromDefault: number;
  /**
   * Rows still in the DEFAULT partition: timestamps outside years 1 to 9999, periods overlapping
   * a hand-made partition, or more periods than one run handles (the next run continues).
   * Normally 0; watch it.
   */
  leftInDefault: number;
}

/**
 * The range partitions of a natively partitioned audit table, oldest first. The DEFAULT
 * partition (`<table>_default`) is not listed: it has no range, and upkeep keeps it empty.
 */
export async function listAuditPartitions(db: SqlQueryable, options: AuditTableOptions = {}): Promise<AuditPartition[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  await assertPartitioned(db, name);
  return (await readPartitionLayout(db, name)).ranges;
}

/**
 * Creates the missing partitions up to `ahead` periods after the current one, gives every
 * period with rows in the DEFAULT partition a partition of its own and moves those rows there,
 * creates the DEFAULT partition if the table has none (tables migrated by older versions), and
 * returns the names of the partitions created. Idempotent; concurrent runs wait for each other
 * (advisory lock), and a run with work to do holds an ACCESS EXCLUSIVE lock on the table until
 * it commits (as creating a partition does anyway).
 */
export async function ensureAuditPartitions(db: SqlQueryable, options: EnsureAuditPartitionsOptions = {}): Promise<string[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  return (await inStorageTransaction(db, (client) => ensurePartitionsIn(client, name, options))).created;
}

/**
 * Drops the partitions that hold only entries older than `retainFor` (their upper bound is at
 * or before `now - retainFor`), deletes the DEFAULT partition's rows of those periods, and
 * returns the names of the partitions dropped. This is the retention policy of the
 * native-partition layout: dropping a partition is instant and leaves no bloat, unlike DELETE.
 */
export async function dropExpiredAuditPartitions(db: SqlQueryable, options: DropExpiredAuditPartitionsOptions = {}): Promise<string[]> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  const retainFor = checkInterval('retainFor', options.retainFor ?? AUDIT_STORAGE_DEFAULTS.retainFor);
  return (await inStorageTransaction(db, (client) => dropExpiredIn(client, name, retainFor, options.now))).dropped;
}

/**
 * The upkeep of the native-partition layout, for a scheduled job (daily is plenty; the module
 * runs it at startup and every 6 hours when `migrate` is on): {@link dropExpiredAuditPartitions},
 * then {@link ensureAuditPartitions}, each in its own transaction. Rows that reached the DEFAULT
 * partition (dates past the partitions created ahead, or far in the past) end up in their own
 * period's partition, so DEFAULT stays empty and cheap to scan.
 */
export async function maintainAuditPartitions(
  db: SqlQueryable,
  options: EnsureAuditPartitionsOptions & DropExpiredAuditPartitionsOptions = {},
): Promise<AuditPartitionUpkeep> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  const retainFor = checkInterval('retainFor', options.retainFor ?? AUDIT_STORAGE_DEFAULTS.retainFor);
  const expired = await inStorageTransaction(db, (client) => dropExpiredIn(client, name, retainFor, options.now, options.interval));
  const ensured = await inStorageTransaction(db, (client) => ensurePartitionsIn(client, name, options));
  return {
    created: ensured.created,
    dropped: expired.dropped,
    movedFromDefault: ensured.moved,
    expiredFromDefault: expired.deleted,
    leftInDefault: ensured.left,
  };
}

/** The work of {@link ensureAuditPartitions} inside a transaction that already holds the lock. */
export async function ensurePartitionsIn(
  client: SqlQueryable,
  name: AuditTableName,
  options: EnsureAuditPartitionsOptions,
): Promise<{ created: string[]; moved: number; left: number }> {
  await assertPartitioned(client, name);
  const { ranges: existing, defaultPartition } = await readPartitionLayout(client, name);
  const interval = partitionInterval(existing, options.interval);
  const ahead = options.ahead ?? AUDIT_STORAGE_DEFAULTS.partitionsAhead[interval];
  if (!Number.isInteger(ahead) || ahead < 0 || ahead > 1000) {
    throw new AuditStorageError('AUDIT_INVALID_STORAGE_OPTIONS', `Audit partition option "ahead" must be an integer from 0 to 1000, got ${String(ahead)}.`);
  }
  const now = options.now ?? new Date();
  const from = options.from === undefined ? defaultFrom(existing, now, interval) : new Date(options.from);
  if (Number.isNaN(from.getTime())) {
    throw new AuditStorageError(
      'AUDIT_INVALID_STORAGE_OPTIONS',
      `Audit partition option "from" must be a Date or an ISO 8601 string, got ${String(options.from)}.`,
    );
  }
  const taken = new Set(existing.map((p) => p.from?.getTime()));
  const missing = partitionRanges(name.table, interval, from, now, ahead).filter((range) => !taken.has(range.from.getTime()));
  const crowded = defaultPartition !== undefined && (await defaultPartitionHasRows(client, defaultPartition));
  if (missing.length === 0 && defaultPartition !== undefined && !crowded) return { created: [], moved: 0, left: 0 };

  // Writers wait until commit: no row reaches DEFAULT between a move and its ATTACH, and every
  // insert after it routes through the new partitions.
  await client.query(`LOCK TABLE ${name.qualified} IN ACCESS EXCLUSIVE MODE`);
  // Moving rows out of DEFAULT deletes them there (and inserts them unchanged): the guard lets the upkeep.
  if (crowded) await enterAuditMaintenance(client);
  const move = crowded
    ? await moveRowsOutOfDefault(client, name, defaultPartition, interval, existing, new Set(missing.map((range) => range.from.getTime())))
    : { created: [], moved: 0, left: 0 };
  const movedInto = new Set(move.created.map((range) => range.from.getTime()));
  // DEFAULT holds no row of these periods any more: creating them scans it and finds none.
  const created = [...move.created, ...missing.filter((range) => !movedInto.has(range.from.getTime()))].sort((a, b) => a.from.getTime() - b.from.getTime());
  for (const range of missing.filter((r) => !movedInto.has(r.from.getTime()))) await client.query(createPartitionSql(name, range, false));
  const names = created.map((range) => range.name);
  if (defaultPartition === undefined) {
    await client.query(createDefaultPartitionSql(name, false));
    names.push(defaultPartitionName(name.table));
  }
  // New partitions get the guard's TRUNCATE trigger (PostgreSQL clones only the row triggers).
  if (names.length > 0) await client.query(auditPartitionGuardSql(name));
  return { created: names, moved: move.moved, left: move.left };
}

/** The work of {@link dropExpiredAuditPartitions} inside a transaction that already holds the lock. */
async function dropExpiredIn(
  client: SqlQueryable,
  name: AuditTableName,
  retainFor: string,
  now: Date | undefined,
  asked?: AuditPartitionInterval,
): Promise<{ dropped: string[]; deleted: number }> {
  await assertPartitioned(client, name);
  const { rows } = await client.query('SELECT COALESCE($1::timestamptz, now()) - $2::interval AS cutoff', [now?.toISOString() ?? null, retainFor]);
  const cutoff = (rows[0] as { cutoff: Date }).cutoff;
  const { ranges, defaultPartition } = await readPartitionLayout(client, name);
  const expired = ranges.filter((p) => p.to !== null && p.to <= cutoff);
  const keptFrom = periodStart(cutoff, partitionInterval(ranges, asked));
  // What leaves the chains is recorded first (one boundary per workspace), in the same transaction as the drop.
  await recordRetentionBoundaries(
    client,
    name,
    expired.map((p) => ({ relation: `${quoteIdentifier(p.schema)}.${quoteIdentifier(p.name)}` })),
    defaultPartition && { relation: qualifiedPartition(defaultPartition), before: keptFrom },
  );
  for (const partition of expired) {
    await client.query(`DROP TABLE ${quoteIdentifier(partition.schema)}.${quoteIdentifier(partition.name)}`);
  }
  // The DEFAULT partition's rows whose period ended by the cutoff: those a partition of their
  // own would have taken with it. Retention may delete audit rows: the append-only guard lets it.
  if (defaultPartition) await enterAuditMaintenance(client);
  const deleted = defaultPartition ? await deleteExpiredFromDefault(client, defaultPartition, keptFrom) : 0;
  return { dropped: expired.map((p) => p.name), deleted };
}

function defaultFrom(existing: AuditPartition[], now: Date, interval: AuditPartitionInterval): Date {
  const previous = addPeriods(periodStart(now, interval), -1, interval);
  const ends = existing.flatMap((p) => (p.to === null ? [] : [p.to.getTime()]));
  return ends.length > 0 && Math.max(...ends) < previous.getTime() ? new Date(Math.max(...ends)) : previous;
}
