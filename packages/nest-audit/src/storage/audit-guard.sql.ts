import type { SqlQueryable } from './sql-client';
import { quoteIdentifier, quoteLiteral, type AuditTableName } from './sql-identifier';

/**
 * The transaction-local setting that lets a transaction change audit rows. The package's own
 * retention, partition upkeep and erasure set it; nothing else should.
 */
export const AUDIT_MAINTENANCE_SETTING = 'acme_audit.maintenance';

/**
 * SQLSTATE of the append-only guard's refusal (`insufficient_privilege`: the session may insert
 * audit rows, not change them).
 */
export const AUDIT_APPEND_ONLY_SQLSTATE = '42501';

/**
 * Lets the current transaction UPDATE, DELETE and TRUNCATE audit rows (the flag ends with the
 * transaction: `set_config(..., true)`). Call it inside BEGIN ... COMMIT, only from the package's
 * own maintenance paths.
 */
export async function enterAuditMaintenance(client: SqlQueryable): Promise<void> {
  await client.query(`SELECT set_config(${quoteLiteral(AUDIT_MAINTENANCE_SETTING)}, 'on', true)`);
}

/**
 * What the statement-level trigger refuses. Row triggers alone are not enough: TimescaleDB deletes
 * whole compressed batches without firing them, and TRUNCATE has no rows.
 */
const STATEMENT_EVENTS = 'BEFORE UPDATE OR DELETE OR TRUNCATE';

/** `<table>_append_only`: the guard's trigger function (and the prefix of its trigger names). */
function guardName(name: AuditTableName): string {
  return `${name.table}_append_only`;
}

/**
 * The append-only guard: a trigger function `<table>_append_only()`, a BEFORE UPDATE OR DELETE
 * row trigger (PostgreSQL clones it onto every partition and TimescaleDB onto every chunk) and a
 * BEFORE UPDATE OR DELETE OR TRUNCATE statement trigger on the table, all refusing unless the
 * transaction set `acme_audit.maintenance` to 'on'. Inserts are not touched. Idempotent: the
 * function is replaced, the triggers are created when missing.
 */
export function auditGuardSql(name: AuditTableName): string[] {
  const fn = name.derived('_append_only');
  const table = name.schema === undefined ? name.table : `${name.schema}.${name.table}`;
  const refusal = quoteLiteral(`audit table ${table} is append-only: `);
  const hint = quoteLiteral(
    'Audit rows are never changed or removed by hand. Retention (dropExpiredAuditPartitions, maintainAuditPartitions, the TimescaleDB ' +
      `retention job) and erasure (AuditService.erase) do it in a transaction that ran SELECT set_config('${AUDIT_MAINTENANCE_SETTING}', 'on', true).`,
  );
  return [
    [
      `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $guard$`,
      'BEGIN',
      `  IF current_setting(${quoteLiteral(AUDIT_MAINTENANCE_SETTING)}, true) = 'on' THEN`,
      "    IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF;",
      "    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;",
      '    RETURN NEW;',
      '  END IF;',
      `  RAISE EXCEPTION USING ERRCODE = ${quoteLiteral(AUDIT_APPEND_ONLY_SQLSTATE)},`,
      `    MESSAGE = ${refusal} || TG_OP || ' refused (on ' || TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME || ')',`,
      `    HINT = ${hint};`,
      'END',
      '$guard$',
    ].join('\n'),
    triggerSql(name, name.qualified, `${guardName(name)}_rows`, 'BEFORE UPDATE OR DELETE', 'ROW'),
    triggerSql(name, name.qualified, `${guardName(name)}_statements`, STATEMENT_EVENTS, 'STATEMENT'),
  ];
}

/**
 * The guard's statement trigger on every native partition that lacks it: row triggers are cloned
 * onto partitions, statement triggers are not, and a statement on a partition (`TRUNCATE
 * <partition>`) fires only the partition's own. Run after partitions are created (the migration
 * and the upkeep do).
 */
export function auditPartitionGuardSql(name: AuditTableName): string {
  const trigger = quoteLiteral(`${guardName(name)}_statements`);
  return [
    'DO $guard$',
    'DECLARE part regclass;',
    'BEGIN',
    // A table the guard was not installed on yet (upkeep before the migration): nothing to attach.
    `  IF to_regproc(${quoteLiteral(name.derived('_append_only'))}) IS NULL THEN RETURN; END IF;`,
    '  FOR part IN',
    '    WITH RECURSIVE tree AS (',
    `      SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(${quoteLiteral(name.qualified)})`,
    '      UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.inhrelid)',
    `    SELECT inhrelid::regclass FROM tree WHERE NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tree.inhrelid AND tgname = ${trigger})`,
    '  LOOP',
    `    EXECUTE format('CREATE TRIGGER %I ${STATEMENT_EVENTS} ON %s FOR EACH STATEMENT EXECUTE FUNCTION ${name.derived('_append_only').replaceAll("'", "''")}()', ${trigger}, part);`,
    '  END LOOP;',
    'END',
    '$guard$',
  ].join('\n');
}

/**
 * The guard's statement trigger on every chunk of a hypertable that lacks it: TimescaleDB copies
 * only row triggers onto the chunks it creates, and deletes whole compressed batches of a chunk
 * without firing row triggers. The migration runs it, and so does the daily retention job (a
 * chunk created since its last run gets it from the next; until then its row trigger guards it,
 * except TRUNCATE and batch deletes of its compressed rows, which take the owner's privileges).
 */
export function auditChunkGuardSql(name: AuditTableName): string {
  const trigger = quoteLiteral(`${guardName(name)}_statements`);
  const fn = quoteLiteral(name.derived('_append_only'));
  return [
    'DO $guard$',
    'DECLARE',
    '  chunk regclass;',
    "  ts text := (SELECT extnamespace::regnamespace::text FROM pg_catalog.pg_extension WHERE extname = 'timescaledb');",
    'BEGIN',
    `  IF ts IS NULL OR to_regproc(${fn}) IS NULL THEN RETURN; END IF;`,
    `  FOR chunk IN EXECUTE format('SELECT c FROM %s.show_chunks($1) AS c', ts) USING to_regclass(${quoteLiteral(name.qualified)}) LOOP`,
    `    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = chunk AND tgname = ${trigger}) THEN`,
    `      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()', ${trigger}, chunk, to_regproc(${fn}));`,
    '    END IF;',
    '  END LOOP;',
    'END',
    '$guard$',
  ].join('\n');
}

function triggerSql(name: AuditTableName, on: string, trigger: string, when: string, level: 'ROW' | 'STATEMENT'): string {
  return [
    'DO $guard$',
    'BEGIN',
    `  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(${quoteLiteral(on)}) AND tgname = ${quoteLiteral(trigger)}) THEN`,
    `    CREATE TRIGGER ${quoteIdentifier(trigger)} ${when} ON ${on} FOR EACH ${level} EXECUTE FUNCTION ${name.derived('_append_only')}();`,
    '  END IF;',
    'END',
    '$guard$',
  ].join('\n');
}
