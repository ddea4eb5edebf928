import { GLOBAL_CHAIN } from '../integrity/chain-content';
import { RETENTION_BOUNDARY_KIND } from './audit-checkpoints.sql';
import { quoteLiteral, type AuditTableName } from './sql-identifier';

/** Validated TimescaleDB settings. */
export interface AuditTimescaleSettings {
  chunkInterval: string;
  compressAfter: string;
  retainFor: string;
}

/**
 * Turns the audit table into a hypertable with columnstore compression, compression and
 * retention jobs, and a continuous aggregate `<table>_daily` of daily counts per
 * workspace/action/status with its refresh policy. Setting names are TimescaleDB 2.18+
 * (`enable_columnstore`, `segmentby`, `orderby`, `add_columnstore_policy`); every step is
 * idempotent, and none changes the settings of an existing policy.
 */
export function auditTimescaleSql(name: AuditTableName, settings: AuditTimescaleSettings): string[] {
  const table = quoteLiteral(name.qualified);
  const daily = name.derived('_daily');
  return [
    // No default index on occurred_at: every query is scoped to a workspace (its index leads
    // with workspace_id), and policies work chunk by chunk, so a time-only index would only slow ingest.
    `SELECT create_hypertable(${table}, by_range('occurred_at', INTERVAL ${quoteLiteral(settings.chunkInterval)}), create_default_indexes => false, if_not_exists => true)`,
    // segmentby workspace_id: a workspace's rows compress together and a scoped query decompresses
    // only its segments. id joins orderby because it is in the primary key: TimescaleDB checks
    // unique keys on compressed batches through orderby min/max metadata (and warns without it).
    `ALTER TABLE ${name.qualified} SET (timescaledb.enable_columnstore = true, timescaledb.segmentby = 'workspace_id', timescaledb.orderby = 'occurred_at DESC, id DESC')`,
    `CALL add_columnstore_policy(${table}, after => INTERVAL ${quoteLiteral(settings.compressAfter)}, if_not_exists => true)`,
    // Retention is a job of the package's own (not add_retention_policy): it records what leaves
    // each workspace's hash chain before dropping the chunks (see auditRetentionJobSql).
    ...auditRetentionJobSql(name, settings.retainFor),
    [
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${daily} WITH (timescaledb.continuous) AS`,
      `SELECT time_bucket(INTERVAL '1 day', "occurred_at") AS "day", "workspace_id", "action", "status", count(*) AS "entries"`,
      `FROM ${name.qualified}`,
      'GROUP BY 1, 2, 3, 4',
      // WITH NO DATA: the migration stays quick and may run in a transaction; the policy fills it.
      'WITH NO DATA',
    ].join('\n'),
    // Refreshes the last three days every hour. The window stays far inside retainFor, so the
    // daily counts outlive the raw rows that retention drops.
    `SELECT add_continuous_aggregate_policy(${quoteLiteral(daily)}, start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '1 hour', if_not_exists => true)`,
  ];
}

/**
 * The retention job of a hypertable: a procedure `<table>_retention(job_id, config)` that, for
 * the chunks `show_chunks(older_than => now() - drop_after)`, records per workspace the newest
 * chained entry they hold as a 'Retention Boundary' in `<table>_checkpoints`, then calls
 * `drop_chunks` with the same cutoff, in one transaction; scheduled daily with `add_job`. It
 * replaces a retention policy made by an earlier version, keeping that policy's `drop_after`.
 * Idempotent: an existing job is left as it is (its settings included). The job's config holds
 * the schema-qualified names, so it runs whatever the search_path of the scheduler.
 */
export function auditRetentionJobSql(name: AuditTableName, retainFor: string): string[] {
  const procedure = name.derived('_retention');
  return [
    [
      `CREATE OR REPLACE PROCEDURE ${procedure}(job_id integer, config jsonb) LANGUAGE plpgsql AS $retention$`,
      'DECLARE',
      "  hypertable regclass := (config->>'hypertable')::regclass;",
      "  cutoff timestamptz := now() - (config->>'drop_after')::interval;",
      '  dropped text;',
      '  chunk regclass;',
      // The extension's functions by their schema: a job runs with the database's search_path.
      "  ts text := (SELECT extnamespace::regnamespace::text FROM pg_catalog.pg_extension WHERE extname = 'timescaledb');",
      'BEGIN',
      // Chunks created since the last run get the append-only guard's statement trigger.
      "  IF to_regproc(config->>'guard') IS NOT NULL THEN",
      "    FOR chunk IN EXECUTE format('SELECT c FROM %s.show_chunks($1) AS c', ts) USING hypertable LOOP",
      "      IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = chunk AND tgname = config->>'guard_trigger') THEN",
      "        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s()', config->>'guard_trigger', chunk, to_regproc(config->>'guard'));",
      '      END IF;',
      '    END LOOP;',
      '  END IF;',
      '  EXECUTE format(',
      '    $q$SELECT string_agg(format($f$SELECT workspace_id, chain_seq, chain_hash FROM %%s WHERE chain_seq IS NOT NULL$f$, chunk), $s$ UNION ALL $s$)',
      '       FROM %s.show_chunks($1, older_than => $2) AS chunk$q$, ts)',
      '    INTO dropped USING hypertable, cutoff;',
      '  IF dropped IS NULL THEN RETURN; END IF;',
      '  EXECUTE format(',
      "    'INSERT INTO %s (workspace_id, seq, hash, kind, created_at) '",
      "    'SELECT DISTINCT ON (w) w, chain_seq, chain_hash, %L, now() '",
      "    'FROM (SELECT COALESCE(workspace_id, %L::uuid) AS w, chain_seq, chain_hash FROM (%s) AS rows) AS d '",
      "    'ORDER BY w, chain_seq DESC ON CONFLICT DO NOTHING',",
      `    (config->>'checkpoints')::regclass, ${quoteLiteral(RETENTION_BOUNDARY_KIND)}, ${quoteLiteral(GLOBAL_CHAIN)}, dropped);`,
      "  EXECUTE format('SELECT %s.drop_chunks($1, older_than => $2)', ts) USING hypertable, cutoff;",
      'END',
      '$retention$',
    ].join('\n'),
    [
      'DO $retention$',
      'DECLARE',
      `  hypertable regclass := to_regclass(${quoteLiteral(name.qualified)});`,
      '  procedure regproc := to_regproc(' + quoteLiteral(procedure) + ');',
      '  names jsonb;',
      '  drop_after text;',
      'BEGIN',
      '  IF EXISTS (SELECT 1 FROM timescaledb_information.jobs j',
      "             WHERE format('%I.%I', j.proc_schema, j.proc_name)::regproc = procedure) THEN RETURN; END IF;",
      "  SELECT j.config->>'drop_after' INTO drop_after FROM timescaledb_information.jobs j",
      '   JOIN pg_class c ON c.oid = hypertable JOIN pg_namespace n ON n.oid = c.relnamespace',
      "   WHERE j.proc_name = 'policy_retention' AND j.hypertable_schema = n.nspname AND j.hypertable_name = c.relname;",
      '  PERFORM remove_retention_policy(hypertable, if_exists => true);',
      "  SELECT jsonb_build_object('hypertable', format('%I.%I', n.nspname, c.relname),",
      `                           'checkpoints', format('%I.%I', n.nspname, c.relname || '_checkpoints'),`,
      `                           'guard', format('%I.%I', n.nspname, c.relname || '_append_only'),`,
      `                           'guard_trigger', c.relname || '_append_only_statements')`,
      '    INTO names FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = hypertable;',
      `  PERFORM add_job(procedure, INTERVAL '1 day',`,
      `    config => names || jsonb_build_object('drop_after', COALESCE(drop_after, ${quoteLiteral(retainFor)})));`,
      'END',
      '$retention$',
    ].join('\n'),
  ];
}
