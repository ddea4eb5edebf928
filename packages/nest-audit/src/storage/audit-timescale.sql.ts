import { quoteLiteral, type AuditTableName } from './sql-identifier';

/** Validated TimescaleDB settings. */
export interface AuditTimescaleSettings {
  chunkInterval: string;
  compressAfter: string;
  retainFor: string;
}

/**
 * Turns the audit table into a hypertable with columnstore compression, compression and
 * retention policies, and a continuous aggregate `<table>_daily` of daily counts per
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
    `SELECT add_retention_policy(${table}, drop_after => INTERVAL ${quoteLiteral(settings.retainFor)}, if_not_exists => true)`,
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
