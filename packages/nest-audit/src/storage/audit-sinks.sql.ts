import type { AuditTableName } from './sql-identifier';

/**
 * The sinks' bookkeeping: `<table>_sink_positions`, how far each sink has each workspace's chain
 * (and the batch being retried, its attempts and when it is tried next), and
 * `<table>_sink_dead_letters`, the batches a sink still refused after `maxAttempts` (kept with
 * their entries, for a replay by hand).
 */
export function auditSinksTableSql(name: AuditTableName): string[] {
  return [
    [
      `CREATE TABLE IF NOT EXISTS ${name.derived('_sink_positions')} (`,
      '  "sink" text NOT NULL,',
      '  "workspace_id" uuid NOT NULL,',
      '  "seq" bigint NOT NULL DEFAULT 0,',
      '  "retry_to_seq" bigint,',
      '  "attempts" integer NOT NULL DEFAULT 0,',
      '  "retry_at" timestamptz,',
      '  "last_error" text,',
      '  "updated_at" timestamptz NOT NULL DEFAULT now(),',
      '  PRIMARY KEY ("sink", "workspace_id")',
      ')',
    ].join('\n'),
    [
      `CREATE TABLE IF NOT EXISTS ${name.derived('_sink_dead_letters')} (`,
      '  "sink" text NOT NULL,',
      '  "workspace_id" uuid NOT NULL,',
      '  "first_seq" bigint NOT NULL,',
      '  "last_seq" bigint NOT NULL,',
      '  "attempts" integer NOT NULL,',
      '  "error" text,',
      '  "entries" jsonb NOT NULL,',
      '  "created_at" timestamptz NOT NULL DEFAULT now(),',
      '  PRIMARY KEY ("sink", "workspace_id", "first_seq")',
      ')',
    ].join('\n'),
  ];
}
