import { isSqlIdentifier, isSqlSettingName } from '@acme/nest-context';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { TenancyArgumentError } from './tenancy.errors';

/** The Postgres setting that carries the workspace into RLS policies. */
export const DEFAULT_RLS_SETTING = 'app.workspace_id';

export interface TenantPolicyOptions {
  /** @default 'public' */
  schema?: string;
  /** @default 'workspace_id' */
  column?: string;
  /** @default 'app.workspace_id' */
  setting?: string;
  /** Postgres type of the workspace column. @default 'uuid' */
  columnType?: string;
}

// Renders DDL to text: identifiers through Drizzle's sql.identifier, literals through the
// dialect's escapeString (DDL takes no bind parameters).
const dialect = new PgDialect();
const render = (statement: SQL) => dialect.sqlToQuery(statement).sql;

function plainName(value: unknown, what: string): string {
  if (!isSqlIdentifier(value)) {
    throw new TenancyArgumentError(
      `tenantPolicySql(): ${what} ${JSON.stringify(value)} is not a plain SQL name (letters, digits and _, not starting with a digit, at most 63).`,
    );
  }
  return value;
}

/**
 * The statements that put a tenant table under row-level security: enable and FORCE it (so the
 * owner is filtered too), and one policy for every command that compares the workspace column
 * with the transaction-local setting. Unset (NULL or ''), it matches nothing, so a query
 * outside a workspace sees and writes nothing. Put them in a migration.
 */
export function tenantPolicySql(table: string, options: TenantPolicyOptions = {}): string[] {
  const { schema = 'public', column = 'workspace_id', setting = DEFAULT_RLS_SETTING, columnType = 'uuid' } = options;
  plainName(table, 'table');
  const qualified = sql`${sql.identifier(plainName(schema, 'option "schema"'))}.${sql.identifier(table)}`;
  const workspaceColumn = sql.identifier(plainName(column, 'option "column"'));
  if (!isSqlSettingName(setting)) {
    throw new TenancyArgumentError(`tenantPolicySql(): option "setting" must be a setting name like "app.workspace_id", got ${JSON.stringify(setting)}.`);
  }
  // A type name cannot be quoted (`"integer"` is no type), so it must be a plain name.
  const type = sql.raw(plainName(columnType, 'option "columnType"'));
  const policy = sql.identifier(`${table}_tenant_isolation`.slice(0, 63));
  // (SELECT ...) makes Postgres evaluate the setting once per statement, not per row. NULLIF:
  // once a pooled connection has seen the setting, it reads '' (not NULL) outside a
  // transaction that sets it, and ''::uuid would be an error instead of "no rows".
  const predicate = sql`${workspaceColumn} = (SELECT NULLIF(current_setting(${sql.raw(dialect.escapeString(setting))}, true), '')::${type})`;
  return [
    sql`ALTER TABLE ${qualified} ENABLE ROW LEVEL SECURITY`,
    sql`ALTER TABLE ${qualified} FORCE ROW LEVEL SECURITY`,
    sql`DROP POLICY IF EXISTS ${policy} ON ${qualified}`,
    sql`CREATE POLICY ${policy} ON ${qualified} FOR ALL USING (${predicate}) WITH CHECK (${predicate})`,
  ].map(render);
}

/** `set_config(setting, workspaceId, true)`: transaction-local, so it never leaks to the next user of a pooled connection. */
export function setWorkspaceSql(workspaceId: string, setting = DEFAULT_RLS_SETTING): SQL {
  return sql`select set_config(${setting}, ${workspaceId}, true)`;
}
