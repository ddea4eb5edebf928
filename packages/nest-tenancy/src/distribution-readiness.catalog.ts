import { sql } from 'drizzle-orm';
import type { AnyPgDatabase } from './drizzle-internals';

/** A table as the catalogs describe it: null when it does not exist. */
export interface CatalogTable {
  /** The workspace column's type (`format_type`), or null when the table has no such column. */
  tenantColumnType: string | null;
  keys: CatalogKey[];
  foreignKeys: CatalogForeignKey[];
}

/** A primary key, a unique constraint, or a unique index that backs no constraint. */
export interface CatalogKey {
  kind: 'Primary Key' | 'Unique Constraint' | 'Unique Index';
  name: string;
  /** Key columns; an expression counts as no column (it never is the workspace column). */
  columns: string[];
  /** `CREATE UNIQUE INDEX ...` for a unique index, the constraint's definition otherwise. */
  definition: string;
}

export interface CatalogForeignKey {
  name: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  /** `pg_get_constraintdef`: `FOREIGN KEY (a) REFERENCES t(b) ON DELETE CASCADE`. */
  definition: string;
}

type Rows<T> = { rows: T[] } | T[];
const rowsOf = <T>(result: Rows<T>): T[] => (Array.isArray(result) ? result : result.rows);

/** Reads one table's keys and foreign keys from pg_constraint and pg_index. */
export async function readCatalogTable(db: AnyPgDatabase, schema: string, name: string, tenantColumn: string): Promise<CatalogTable | null> {
  const [table] = rowsOf(
    (await db.execute(sql`
      select c.oid::int8::text as oid,
             (select format_type(a.atttypid, a.atttypmod) from pg_attribute a
               where a.attrelid = c.oid and a.attname = ${tenantColumn} and a.attnum > 0 and not a.attisdropped) as tenant_column_type
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relname = ${name} and c.relkind in ('r', 'p')`)) as Rows<{ oid: string; tenant_column_type: string | null }>,
  );
  if (!table) return null;
  const oid = sql`${table.oid}::oid`;
  // Column names of an attnum array, in key order (0 = an expression of an index: no name).
  const names = (relation: unknown, attnums: unknown) => sql`
    array(select coalesce(a.attname::text, '') from unnest(${attnums}::int2[]) with ordinality k(attnum, ord)
          left join pg_attribute a on a.attrelid = ${relation} and a.attnum = k.attnum order by k.ord)`;
  const constraints = rowsOf(
    (await db.execute(sql`
      select con.conname as name, con.contype as type, ${names(sql`con.conrelid`, sql`con.conkey`)} as columns,
             fn.nspname as ref_schema, fc.relname as ref_table, ${names(sql`con.confrelid`, sql`con.confkey`)} as ref_columns,
             pg_get_constraintdef(con.oid) as definition
      from pg_constraint con
      left join pg_class fc on fc.oid = con.confrelid left join pg_namespace fn on fn.oid = fc.relnamespace
      where con.conrelid = ${oid} and con.contype in ('p', 'u', 'f')
      order by con.conname`)) as Rows<{
      name: string;
      type: 'p' | 'u' | 'f';
      columns: string[];
      ref_schema: string | null;
      ref_table: string | null;
      ref_columns: string[];
      definition: string;
    }>,
  );
  const indexes = rowsOf(
    (await db.execute(sql`
      select ic.relname as name, ${names(sql`i.indrelid`, sql`i.indkey::int2[]`)} as columns, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i join pg_class ic on ic.oid = i.indexrelid
      where i.indrelid = ${oid} and i.indisunique
        and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid and con.conrelid = i.indrelid)
      order by ic.relname`)) as Rows<{ name: string; columns: string[]; definition: string }>,
  );
  const keys: CatalogKey[] = [
    ...constraints
      .filter((c) => c.type !== 'f')
      .map((c) => ({
        kind: c.type === 'p' ? ('Primary Key' as const) : ('Unique Constraint' as const),
        name: c.name,
        columns: c.columns,
        definition: c.definition,
      })),
    ...indexes.map((i) => ({ kind: 'Unique Index' as const, name: i.name, columns: i.columns, definition: i.definition })),
  ];
  const foreignKeys = constraints
    .filter((c) => c.type === 'f')
    .map((c) => ({
      name: c.name,
      columns: c.columns,
      refSchema: c.ref_schema ?? '',
      refTable: c.ref_table ?? '',
      refColumns: c.ref_columns,
      definition: c.definition,
    }));
  return { tenantColumnType: table.tenant_column_type, keys, foreignKeys };
}
