import { AuditError } from '../audit.errors';

/** Stable codes of {@link AuditStorageError}. */
export type AuditStorageErrorCode =
  /** An option of the migration or of partition maintenance is invalid; the message names it. */
  | 'AUDIT_INVALID_STORAGE_OPTIONS'
  /** `timescale: true` was asked for, but the timescaledb extension is not installed in the database. */
  | 'AUDIT_TIMESCALE_UNAVAILABLE'
  /** The table exists with another layout (plain table, hypertable or partitions) than the one asked for. */
  | 'AUDIT_TABLE_LAYOUT_MISMATCH'
  /** Partition maintenance on a table that does not exist or is not natively partitioned. */
  | 'AUDIT_TABLE_NOT_PARTITIONED'
  /** The partitions already use another interval (day or month) than the one asked for. */
  | 'AUDIT_PARTITION_INTERVAL_MISMATCH';

/** Thrown by the audit storage functions (migration, partition maintenance); `code` is stable. */
export class AuditStorageError extends AuditError {
  constructor(
    readonly code: AuditStorageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
