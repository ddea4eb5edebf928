import { getTableColumns, is, Table, type Column } from 'drizzle-orm';
import { markTable, tableMark } from './drizzle-internals';

/** Database name of the column that marks a tenant table, unless a table says otherwise. */
export const DEFAULT_TENANT_COLUMN = 'workspace_id';

// A mark on the table object itself, so that `alias()`es of it carry the declaration too.
const DECLARED_COLUMN = Symbol.for('@acme/nest-tenancy:tenant-column');

/**
 * Declares which column holds a table's workspace when it is not `workspace_id`, or that a
 * table with a `workspace_id` column is not scoped by it (`null`). Every other table is
 * detected by the column name, so most schemas need no declaration.
 *
 * @example tenantTable(invoices, 'tenant_id'); tenantTable(workspaceMembers, null);
 */
export function tenantTable<T extends Table>(table: T, columnName: string | null): T {
  markTable(table, DECLARED_COLUMN, columnName);
  return table;
}

/** The TS key and column that hold a tenant table's workspace. */
export interface TenantColumn {
  key: string;
  column: Column;
}

const resolved = new WeakMap<object, TenantColumn | null>();

/**
 * The workspace column of a tenant table, or null for any other table or source (subquery,
 * view, raw SQL). On an `alias()`ed table the column renders with the alias. Cached per
 * table object: it runs for every query.
 */
export function tenantColumnOf(source: unknown, defaultColumn = DEFAULT_TENANT_COLUMN): TenantColumn | null {
  if (!is(source, Table)) return null;
  const cached = resolved.get(source);
  if (cached !== undefined) return cached;
  const declared = tableMark(source, DECLARED_COLUMN) as string | null | undefined;
  const name = declared === undefined ? defaultColumn : declared;
  let found: TenantColumn | null = null;
  if (name !== null) {
    for (const [key, column] of Object.entries(getTableColumns(source))) {
      if (column.name === name) found = { key, column };
    }
  }
  resolved.set(source, found);
  return found;
}
