import { AuditStorageError } from './audit-storage.errors';
import { AUDIT_STORAGE_DEFAULTS, type AuditMigrationSqlOptions, type MigrateAuditOptions } from './audit-storage.options';
import { addPeriods, createDefaultPartitionSql, createPartitionSql, partitionRanges, periodStart } from './audit-partition-range';
import { ensurePartitionsIn } from './audit-partitions';
import { auditChainSql, auditIndexesSql, auditTableSql } from './audit-table.sql';
import { auditTimescaleSql } from './audit-timescale.sql';
import { auditCheckpointsTableSql } from './audit-checkpoints.sql';
import { auditChunkGuardSql, auditGuardSql, auditPartitionGuardSql } from './audit-guard.sql';
import { auditSinksTableSql } from './audit-sinks.sql';
import { detectAuditStorage } from './audit-storage-detection';
import { inStorageTransaction, type SqlQueryable } from './sql-client';
import { auditTableName, checkInterval, quoteIdentifier, type AuditTableName } from './sql-identifier';

/** How the audit table is stored. */
export type AuditStorageMode = 'timescale' | 'partitioned';

/** What {@link migrateAudit} did. */
export interface AuditMigrationResult {
  mode: AuditStorageMode;
  /**
   * Why this mode, for the startup log: e.g. 'the timescaledb extension (2.23.0) is installed',
   * 'the timescaledb extension is not available on this server'.
   */
  reason: string;
  /**
   * Partitions created by this run (native partitions only): ranges oldest first, then
   * `<table>_default` when the table had no DEFAULT partition yet.
   */
  createdPartitions: string[];
}

/**
 * The ordered SQL statements that create the audit table, for a migration file or your own
 * runner. Every statement is idempotent: the whole list may run again.
 *
 * Both layouts get the hash chain's storage, `<table>_checkpoints` (signed heads and retention
 * boundaries) and the append-only guard: UPDATE, DELETE and TRUNCATE of audit rows are refused
 * unless the transaction set `acme_audit.maintenance` to 'on' (the package's retention, upkeep
 * and erasure do).
 *
 * - `timescale: true`: a hypertable on `occurred_at` (chunk `chunkInterval`), columnstore with
 *   `segmentby workspace_id, orderby occurred_at DESC, id DESC`, compression after `compressAfter`,
 *   the retention job `<table>_retention` (`retainFor`: it records retention boundaries, then
 *   drops the chunks), and the continuous aggregate `<table>_daily` (day, workspace_id, action,
 *   status, entries) refreshed hourly.
 * - `timescale: false`: `PARTITION BY RANGE (occurred_at)`, the partitions from the previous
 *   period to `partitionsAhead` periods after `now`, and the DEFAULT partition `<table>_default`
 *   that takes any row outside them (so an insert never fails for lack of a partition). Those
 *   dates are fixed when the list is built: run `maintainAuditPartitions` on a schedule, which
 *   creates the next partitions, moves rows out of DEFAULT into their own, and drops old ones.
 */
export function auditMigrationSql(options: AuditMigrationSqlOptions): string[] {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  const statements = schemaSql(name);
  if (options.timescale) {
    statements.push(auditTableSql(name, false));
    statements.push(...auditTimescaleSql(name, timescaleSettings(options)));
    statements.push(...auditIndexesSql(name));
    statements.push(...auditChainSql(name));
    statements.push(...auditCheckpointsTableSql(name), ...auditGuardSql(name), auditChunkGuardSql(name), ...auditSinksTableSql(name));
    return statements;
  }
  checkInterval('retainFor', options.retainFor ?? AUDIT_STORAGE_DEFAULTS.retainFor);
  const interval = options.partitionInterval ?? AUDIT_STORAGE_DEFAULTS.partitionInterval;
  const ahead = options.partitionsAhead ?? AUDIT_STORAGE_DEFAULTS.partitionsAhead[interval];
  const now = options.now ?? new Date();
  statements.push(auditTableSql(name, true));
  statements.push(...auditIndexesSql(name));
  statements.push(...auditChainSql(name));
  for (const range of partitionRanges(name.table, interval, addPeriods(periodStart(now, interval), -1, interval), now, ahead)) {
    statements.push(createPartitionSql(name, range, true));
  }
  // Last: each range created before it is created without scanning it.
  statements.push(createDefaultPartitionSql(name, true));
  statements.push(...auditCheckpointsTableSql(name), ...auditGuardSql(name), auditPartitionGuardSql(name), ...auditSinksTableSql(name));
  return statements;
}

/**
 * Creates or completes the audit table in one transaction, under an advisory lock (processes
 * that start together wait for each other). With `timescale: 'auto'` it uses TimescaleDB when
 * the extension is installed in the database, and native partitions otherwise; log the result's
 * `reason` when the mode is 'partitioned', since retention then depends on
 * `dropExpiredAuditPartitions` running on a schedule.
 *
 * Accepts a `pg.Pool` (one client is checked out for the transaction), a `pg.PoolClient` or a
 * connected `pg.Client` that is not inside a transaction.
 *
 * @throws AuditStorageError `AUDIT_TIMESCALE_UNAVAILABLE` when `timescale: true` and the extension
 * is not installed; `AUDIT_TABLE_LAYOUT_MISMATCH` when the table exists with another layout.
 */
export async function migrateAudit(db: SqlQueryable, options: MigrateAuditOptions = {}): Promise<AuditMigrationResult> {
  const name = auditTableName(options.table ?? AUDIT_STORAGE_DEFAULTS.table, options.schema);
  const asked = options.timescale ?? 'auto';
  if (asked !== 'auto' && typeof asked !== 'boolean') {
    throw new AuditStorageError(
      'AUDIT_INVALID_STORAGE_OPTIONS',
      `Audit storage option "timescale" must be true, false or 'auto', got ${JSON.stringify(asked)}.`,
    );
  }
  // Validate every option before touching the database.
  const statements = auditMigrationSql({ ...options, timescale: asked !== false });

  return inStorageTransaction(db, async (client) => {
    const found = await detectAuditStorage(client, name);
    const mode = chooseMode(name, asked, found);
    if (mode === 'timescale') {
      for (const statement of statements) await client.query(statement);
      return {
        mode,
        reason: found.existing === 'hypertable' ? 'the table is already a hypertable' : `the timescaledb extension (${found.timescale}) is installed`,
        createdPartitions: [],
      };
    }
    for (const statement of [...schemaSql(name), auditTableSql(name, true), ...auditIndexesSql(name), ...auditChainSql(name)]) await client.query(statement);
    const { created: createdPartitions } = await ensurePartitionsIn(client, name, {
      ...(options.partitionInterval === undefined ? {} : { interval: options.partitionInterval }),
      ...(options.partitionsAhead === undefined ? {} : { ahead: options.partitionsAhead }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    for (const statement of [...auditCheckpointsTableSql(name), ...auditGuardSql(name), auditPartitionGuardSql(name), ...auditSinksTableSql(name)]) {
      await client.query(statement);
    }
    const reason =
      found.existing === 'partitioned' && found.timescale
        ? 'the table already uses native partitions'
        : asked === false
          ? 'native partitions were asked for (timescale: false)'
          : found.available
            ? 'the timescaledb extension is available but not installed in this database (CREATE EXTENSION timescaledb enables it)'
            : 'the timescaledb extension is not available on this server';
    return { mode, reason, createdPartitions };
  });
}

function chooseMode(name: AuditTableName, asked: boolean | 'auto', found: Awaited<ReturnType<typeof detectAuditStorage>>): AuditStorageMode {
  if (asked === true && !found.timescale) {
    throw new AuditStorageError(
      'AUDIT_TIMESCALE_UNAVAILABLE',
      "TimescaleDB was required (timescale: true) but the timescaledb extension is not installed in this database: run CREATE EXTENSION timescaledb, or use timescale: 'auto'.",
    );
  }
  const mode: AuditStorageMode =
    asked === false ? 'partitioned' : asked === true ? 'timescale' : found.timescale && found.existing !== 'partitioned' ? 'timescale' : 'partitioned';
  const fits = found.existing === undefined || (mode === 'timescale' ? found.existing === 'hypertable' : found.existing === 'partitioned');
  if (!fits) {
    const layout = { plain: 'a plain table', hypertable: 'a TimescaleDB hypertable', partitioned: 'a natively partitioned table' }[found.existing!];
    throw new AuditStorageError(
      'AUDIT_TABLE_LAYOUT_MISMATCH',
      `Audit table ${name.qualified} already exists as ${layout}, which the ${mode} layout cannot reuse: migrate its rows into a new table, or use the layout it has.`,
    );
  }
  return mode;
}

function schemaSql(name: AuditTableName): string[] {
  return name.schema === undefined ? [] : [`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(name.schema)}`];
}

function timescaleSettings(options: AuditMigrationSqlOptions) {
  return {
    chunkInterval: checkInterval('chunkInterval', options.chunkInterval ?? AUDIT_STORAGE_DEFAULTS.chunkInterval),
    compressAfter: checkInterval('compressAfter', options.compressAfter ?? AUDIT_STORAGE_DEFAULTS.compressAfter),
    retainFor: checkInterval('retainFor', options.retainFor ?? AUDIT_STORAGE_DEFAULTS.retainFor),
  };
}
