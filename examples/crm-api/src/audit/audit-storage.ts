import type { AuditMigrateOptions, DropExpiredAuditPartitionsOptions, EnsureAuditPartitionsOptions } from '@acme/nest-audit';

/**
 * How the audit trail is stored, in one place: the migration creates the table with these
 * settings (`migrateAudit`), and without TimescaleDB the worker's daily upkeep
 * (`maintainAuditPartitions`) keeps the partitions with the same ones.
 */
export const AUDIT_STORAGE = {
  /** TimescaleDB hypertable when the extension is installed, native monthly partitions otherwise. */
  timescale: 'auto',
  /** Entries older than this are dropped (a retention policy, or whole partitions). */
  retainFor: '400 days',
  partitionInterval: 'month',
  /** Partitions exist for the current month and the next three, so a few missed upkeep runs lose nothing. */
  partitionsAhead: 3,
} as const satisfies AuditMigrateOptions;

/** The options of `maintainAuditPartitions` that match {@link AUDIT_STORAGE}. */
export function auditPartitionUpkeepOptions(): EnsureAuditPartitionsOptions & DropExpiredAuditPartitionsOptions {
  return { retainFor: AUDIT_STORAGE.retainFor, interval: AUDIT_STORAGE.partitionInterval, ahead: AUDIT_STORAGE.partitionsAhead };
}
