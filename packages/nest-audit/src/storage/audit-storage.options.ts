import { DEFAULT_AUDIT_TABLE } from '../audit-entry';

/** Where the audit table lives. */
export interface AuditTableOptions {
  /**
   * Table name (a plain identifier, at most 40 characters: derived names must fit in 63).
   * @default 'audit_log'
   */
  table?: string;
  /**
   * Schema of the table. Unset, names are unqualified and resolve through the search_path
   * (what a per-test schema or a tenant-specific search_path expects).
   * @default undefined
   */
  schema?: string;
}

/** Width of a native partition: one per UTC day or one per UTC month. */
export type AuditPartitionInterval = 'day' | 'month';

/** Options of the native-partition layout (used when TimescaleDB is absent). */
export interface AuditPartitionOptions {
  /**
   * Partition width. Months keep the partition count low (13 for a year) at the price of
   * retention rounded up to a whole month; days make retention exact with ~365 partitions.
   * Existing partitions win: unset, the interval they already use is kept.
   * @default 'month'
   */
  partitionInterval?: AuditPartitionInterval;
  /**
   * How many periods after the current one get a partition now. A row past them is still
   * written (to the DEFAULT partition), but creating a partition scans DEFAULT: run
   * `maintainAuditPartitions` at least once per period, so DEFAULT stays empty and rows land
   * directly in their partition.
   * @default 2 (months), 7 (days)
   */
  partitionsAhead?: number;
}

/** Options of `auditMigrationSql`. */
export interface AuditMigrationSqlOptions extends AuditTableOptions, AuditPartitionOptions {
  /** TimescaleDB hypertable (true) or native range partitions (false). */
  timescale: boolean;
  /**
   * Hypertable chunk interval (TimescaleDB only).
   * @default '1 day'
   */
  chunkInterval?: string;
  /**
   * Compress (columnstore) chunks older than this (TimescaleDB only).
   * @default '7 days'
   */
  compressAfter?: string;
  /**
   * Drop data older than this: a retention policy on TimescaleDB; without it,
   * `dropExpiredAuditPartitions` / `maintainAuditPartitions` use this value.
   * @default '365 days'
   */
  retainFor?: string;
  /**
   * The clock that decides which partitions are created (native partitions only).
   * @default new Date()
   */
  now?: Date;
}

/** Options of `migrateAudit`. */
export interface MigrateAuditOptions extends Omit<AuditMigrationSqlOptions, 'timescale'> {
  /**
   * `'auto'` uses TimescaleDB when the extension is installed in the database (and the table is
   * not already natively partitioned); `true` requires it; `false` always uses native partitions.
   * @default 'auto'
   */
  timescale?: boolean | 'auto';
}

export const AUDIT_STORAGE_DEFAULTS = {
  table: DEFAULT_AUDIT_TABLE,
  chunkInterval: '1 day',
  compressAfter: '7 days',
  retainFor: '365 days',
  partitionInterval: 'month' as AuditPartitionInterval,
  partitionsAhead: { day: 7, month: 2 } satisfies Record<AuditPartitionInterval, number>,
};
