import type { AuditEntry } from './audit-entry';
import { insertParameters } from './audit-writer';

/**
 * A batch as it travels: the queue job, a spool line and the insert's parameters are one shape
 * (the entries in column form, see `insertParameters`), versioned for rolling upgrades.
 */
export interface AuditBatchJob {
  v: 1;
  columns: unknown[][];
}

export function auditBatchJob(entries: readonly AuditEntry[]): AuditBatchJob {
  return { v: 1, columns: insertParameters(entries) };
}

/** A batch's id: its first entry's id (also its job id, so the queue keeps one job per batch). */
export function batchId(job: AuditBatchJob): string {
  return job.columns[0]![0] as string;
}

/** When the batch's first entry happened (AUDIT_COLUMNS[1] is occurred_at). */
export function batchOccurredAt(job: AuditBatchJob): Date {
  return new Date(job.columns[1]![0] as Date | string);
}

/** How many entries the batch holds. */
export function batchSize(job: AuditBatchJob): number {
  return job.columns[0]!.length;
}
