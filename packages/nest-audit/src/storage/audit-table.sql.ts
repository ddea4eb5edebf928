import { AUDIT_COLUMNS } from '../audit-entry';
import type { AuditTableName } from './sql-identifier';

// Everything that describes what happened is required; who, where and why may be unknown.
const REQUIRED = new Set<string>(['id', 'occurred_at', 'actor_kind', 'action', 'subject', 'status', 'duration_ms']);

/**
 * `CREATE TABLE` for the audit log. The primary key carries the time column because both
 * TimescaleDB and native partitioning require the partitioning column in every unique key.
 */
export function auditTableSql(name: AuditTableName, partitioned: boolean): string {
  const columns = AUDIT_COLUMNS.map(([column, type]) => {
    if (type === 'jsonb') return `  "${column}" jsonb NOT NULL DEFAULT '{}'`;
    return `  "${column}" ${type}${REQUIRED.has(column) ? ' NOT NULL' : ''}`;
  });
  return [
    `CREATE TABLE IF NOT EXISTS ${name.qualified} (`,
    `${columns.join(',\n')},`,
    '  PRIMARY KEY ("id", "occurred_at")',
    `)${partitioned ? ' PARTITION BY RANGE ("occurred_at")' : ''}`,
  ].join('\n');
}

/**
 * The two indexes of `AuditQuery`: a workspace's log newest first, and one subject's history.
 * Both end with `id DESC` so the keyset order (occurred_at DESC, id DESC) comes straight off the
 * index, without a sort, even when timestamps tie.
 */
export function auditIndexesSql(name: AuditTableName): string[] {
  const index = (suffix: string) => `"${name.table}${suffix}"`; // an index lives in its table's schema
  return [
    `CREATE INDEX IF NOT EXISTS ${index('_workspace_time_idx')} ON ${name.qualified} ("workspace_id", "occurred_at" DESC, "id" DESC)`,
    `CREATE INDEX IF NOT EXISTS ${index('_workspace_subject_idx')} ON ${name.qualified} ("workspace_id", "subject", "subject_id", "occurred_at" DESC, "id" DESC)`,
  ];
}
