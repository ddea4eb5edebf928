import { AUDIT_COLUMNS } from '../audit-entry';
import { AUDIT_CHAIN_COLUMNS } from '../integrity/chain-content';
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
  // The chain columns stay nullable: rows written with the chain off (or before it) have none.
  const chain = AUDIT_CHAIN_COLUMNS.map(([column, type]) => `  "${column}" ${type}`);
  return [
    `CREATE TABLE IF NOT EXISTS ${name.qualified} (`,
    `${[...columns, ...chain].join(',\n')},`,
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

/**
 * The hash chain's storage, for new and existing tables alike: the chain columns (a table
 * created by an earlier version gets them as nullable columns, which TimescaleDB adds to a
 * hypertable with compressed chunks too; one column per statement, as it requires), the head
 * of each workspace's chain (`<table>_chain_heads`, locked by the writer for each batch), and
 * the index the verifier and the sinks walk a chain by.
 */
export function auditChainSql(name: AuditTableName): string[] {
  return [
    ...AUDIT_CHAIN_COLUMNS.map(([column, type]) => `ALTER TABLE ${name.qualified} ADD COLUMN IF NOT EXISTS "${column}" ${type}`),
    [
      `CREATE TABLE IF NOT EXISTS ${name.derived('_chain_heads')} (`,
      '  "workspace_id" uuid PRIMARY KEY,',
      '  "seq" bigint NOT NULL,',
      '  "hash" bytea NOT NULL,',
      '  "updated_at" timestamptz NOT NULL DEFAULT now()',
      ')',
    ].join('\n'),
    `CREATE INDEX IF NOT EXISTS "${name.table}_chain_idx" ON ${name.qualified} ("workspace_id", "chain_seq") WHERE "chain_seq" IS NOT NULL`,
  ];
}
