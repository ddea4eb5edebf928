import type { SqlQueryable } from './sql-client';
import type { AuditTableName } from './sql-identifier';

/** What the database has: the timescaledb extension, and the audit table if it exists. */
export interface AuditStorageFound {
  /** Installed extension version, or null. */
  timescale: string | null;
  /** The server ships the extension (it could be created). */
  available: boolean;
  existing: 'plain' | 'hypertable' | 'partitioned' | undefined;
}

/** Reads the extension catalog and the table's kind (through the search_path when no schema is set). */
export async function detectAuditStorage(db: SqlQueryable, name: AuditTableName): Promise<AuditStorageFound> {
  const { rows } = await db.query(
    `SELECT (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescale,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') AS available,
            (SELECT c.relkind::text FROM pg_class c WHERE c.oid = to_regclass($1)) AS kind,
            (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)) AS schema`,
    [name.qualified],
  );
  const found = rows[0] as { timescale: string | null; available: boolean; kind: string | null; schema: string | null };
  let existing: AuditStorageFound['existing'];
  if (found.kind === 'p') existing = 'partitioned';
  else if (found.kind !== null) existing = 'plain';
  if (existing === 'plain' && found.timescale !== null) {
    // Only queried when the extension is there: the view does not exist otherwise.
    const hypertable = await db.query('SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2', [
      found.schema,
      name.table,
    ]);
    if (hypertable.rows.length > 0) existing = 'hypertable';
  }
  return { timescale: found.timescale, available: found.available, existing };
}
