import type { AuditTableName } from './sql-identifier';

/** `kind` of a checkpoint row: a signed chain head. */
export const CHECKPOINT_KIND = 'Checkpoint';
/** `kind` of a checkpoint row: the newest entry a retention drop removed from a workspace's chain. */
export const RETENTION_BOUNDARY_KIND = 'Retention Boundary';

/**
 * `<table>_checkpoints`: signed chain heads ('Checkpoint') and what retention removed
 * ('Retention Boundary'), per workspace. `published_at` is set once `publish` took a checkpoint,
 * so a failed publish is retried by the next round.
 */
export function auditCheckpointsTableSql(name: AuditTableName): string[] {
  const table = name.derived('_checkpoints');
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${table} (`,
      '  "workspace_id" uuid NOT NULL,',
      '  "seq" bigint NOT NULL,',
      '  "hash" bytea NOT NULL,',
      '  "kind" text NOT NULL,',
      '  "created_at" timestamptz NOT NULL,',
      '  "key_id" text,',
      '  "signature" bytea,',
      '  "published_at" timestamptz,',
      '  PRIMARY KEY ("workspace_id", "kind", "seq")',
      ')',
    ].join('\n'),
    // The publish backlog: small (rows leave it once published), read every round.
    `CREATE INDEX IF NOT EXISTS "${name.table}_checkpoints_unpublished_idx" ON ${table} ("created_at") WHERE "published_at" IS NULL AND "kind" = 'Checkpoint'`,
  ];
}
