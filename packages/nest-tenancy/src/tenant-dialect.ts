import { eq, getTableName, type SQL, type Table } from 'drizzle-orm';
import type { PgDialect } from 'drizzle-orm/pg-core';
import { boundValue, scopedDialect, writtenValue, type QueryScope } from './drizzle-internals';
import { UnscopableQueryError, WorkspaceMismatchException } from './tenancy.errors';
import { tenantColumnOf } from './tenant-table';

/** Returns the current workspace id or throws (fail closed). Called while SQL is built. */
export type WorkspaceResolver = (operation: string) => string;

/**
 * The app's dialect, scoped to the current workspace: a tenant table in FROM, JOIN, UPDATE or
 * DELETE gets `workspace_id = <current>` (in ON for a join, so a left join yields nulls, not
 * foreign rows), every level of a relational query is filtered, inserts are stamped with the
 * workspace, and no write may name another one. Where Drizzle builds SQL is drizzle-internals'
 * business; what the scope is, is this file's.
 */
export function createTenantDialect(base: PgDialect, workspace: WorkspaceResolver, tenantColumn: string): PgDialect {
  const scope: QueryScope = {
    filter(source, operation) {
      const tenant = tenantColumnOf(source, tenantColumn);
      return tenant ? eq(tenant.column, workspace(operation)) : undefined;
    },

    insert(table, rows, fromSelect) {
      const tenant = tenantColumnOf(table, tenantColumn);
      if (!tenant) return undefined;
      if (fromSelect) {
        throw new UnscopableQueryError(`INSERT ... SELECT into "${getTableName(table)}" cannot be stamped with the workspace; insert values instead.`);
      }
      const current = workspace('insert');
      const stamped = rows.map((row) => {
        const given = writtenValue(row, tenant.key);
        if (given.kind === 'sql' || (given.kind === 'value' && given.value !== null && given.value !== current)) {
          throw new WorkspaceMismatchException(getTableName(table));
        }
        return { ...row, [tenant.key]: boundValue(current, tenant.column) };
      });
      return { rows: stamped, conflictScope: eq(tenant.column, current) };
    },

    // Neither an update nor an upsert's DO UPDATE may move a row to another workspace.
    checkSet(table, set) {
      const tenant = tenantColumnOf(table, tenantColumn);
      if (!tenant) return;
      const given = writtenValue(set, tenant.key);
      if (given.kind === 'absent') return;
      if (given.kind === 'sql' || given.value !== workspace('update')) throw new WorkspaceMismatchException(getTableName(table as Table));
    },

    relational(table, columns): SQL | undefined {
      const tenant = tenantColumnOf(table, tenantColumn);
      return tenant ? eq(columns[tenant.key]!, workspace('query')) : undefined;
    },
  };
  return scopedDialect(base, scope);
}
