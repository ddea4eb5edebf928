import { AUDIT_COLUMNS } from '../../src/audit-entry';
import { AUDIT_CHAIN_COLUMNS } from '../../src/integrity/chain-content';
import type { SqlQueryable } from '../../src/storage/sql-client';

/** A row for a plain INSERT in storage and query tests; unset columns get simple defaults. */
export interface StorageTestRow {
  id: string;
  /** A Date, or SQL timestamptz text (to store microseconds a Date cannot hold). */
  occurredAt: Date | string;
  workspaceId: string | null;
  actorKind?: string;
  actorId?: string | null;
  action?: string;
  subject?: string;
  subjectId?: string | null;
  status?: string;
  errorCode?: string | null;
  durationMs?: number;
  metadata?: Record<string, unknown>;
}

/** Inserts rows with multi-row INSERTs (1,000 rows per statement, under the bind parameter limit). */
export async function insertAuditRows(db: SqlQueryable, rows: readonly StorageTestRow[], table = '"audit_log"'): Promise<void> {
  const columns = AUDIT_COLUMNS.map(([name]) => `"${name}"`).join(', ');
  for (let start = 0; start < rows.length; start += 1_000) {
    const batch = rows.slice(start, start + 1_000);
    const values: unknown[] = [];
    const tuples = batch.map((row) => {
      const base = values.length;
      values.push(
        row.id,
        row.occurredAt instanceof Date ? row.occurredAt.toISOString() : row.occurredAt,
        row.workspaceId,
        row.actorKind ?? 'User',
        row.actorId ?? null,
        row.action ?? 'Update',
        row.subject ?? 'Deal',
        row.subjectId ?? null,
        row.status ?? 'Success',
        row.errorCode ?? null,
        null,
        null,
        null,
        null,
        row.durationMs ?? 1,
        JSON.stringify(row.metadata ?? {}),
        '{}',
      );
      return `(${AUDIT_COLUMNS.map(([, type], i) => `$${base + i + 1}::${type}`).join(', ')})`;
    });
    await db.query(`INSERT INTO ${table} (${columns}) VALUES ${tuples.join(', ')}`, values);
  }
}

/** A deterministic UUID (version 7 layout) from a number, so expected orders are computable in tests. */
export function testUuid(n: number, prefix = '0190a0b2'): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${prefix}-0000-7000-8000-${hex}`;
}

/** The columns of a table as the catalog has them: name, type and nullability, in order. */
export async function auditTableColumns(
  db: SqlQueryable,
  table = 'audit_log',
): Promise<{ name: string; type: string; nullable: boolean; default: string | null }[]> {
  const { rows } = await db.query(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [table],
  );
  return rows;
}

/** The expected shape of the audit table, from AUDIT_COLUMNS. */
export function expectedAuditColumns(): { name: string; type: string; nullable: boolean; default: string | null }[] {
  const required = new Set(['id', 'occurred_at', 'actor_kind', 'action', 'subject', 'status', 'duration_ms', 'metadata', 'changes']);
  const typeName: Record<string, string> = { timestamptz: 'timestamp with time zone' };
  return [
    ...AUDIT_COLUMNS.map(([name, type]) => ({
      name,
      type: typeName[type] ?? type,
      nullable: !required.has(name),
      default: type === 'jsonb' ? "'{}'::jsonb" : null,
    })),
    // The hash chain's columns: nullable, no default (rows written without the chain have none).
    ...AUDIT_CHAIN_COLUMNS.map(([name, type]) => ({ name, type, nullable: true, default: null })),
  ];
}
