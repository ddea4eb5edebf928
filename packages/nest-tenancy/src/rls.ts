import { sql, type SQL } from 'drizzle-orm';

/** The Postgres setting that carries the workspace into RLS policies. */
export const DEFAULT_RLS_SETTING = 'app.workspace_id';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SETTING = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

function quoteIdent(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`${what} "${name}" is not a plain SQL identifier.`);
  return `"${name}"`;
}

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

/**
 * The statements that put a tenant table under row-level security: enable and FORCE it (so the
 * owner is filtered too), and one policy for every command that compares the workspace column
 * with the transaction-local setting. Unset (NULL or ''), it matches nothing, so a query
 * outside a workspace sees and writes nothing. Put them in a migration.
 */
export function tenantPolicySql(table: string, options: TenantPolicyOptions = {}): string[] {
  const schema = quoteIdent(options.schema ?? 'public', 'Schema');
  const column = quoteIdent(options.column ?? 'workspace_id', 'Column');
  const setting = options.setting ?? DEFAULT_RLS_SETTING;
  if (!SETTING.test(setting)) throw new Error(`RLS setting "${setting}" must look like "app.workspace_id".`);
  const type = options.columnType ?? 'uuid';
  if (!IDENTIFIER.test(type)) throw new Error(`Column type "${type}" is not a plain SQL type name.`);
  const qualified = `${schema}.${quoteIdent(table, 'Table')}`;
  const policy = quoteIdent(`${table}_tenant_isolation`.slice(0, 63), 'Policy');
  // (SELECT ...) makes Postgres evaluate the setting once per statement, not per row. NULLIF:
  // once a pooled connection has seen the setting, it reads '' (not NULL) outside a
  // transaction that sets it, and ''::uuid would be an error instead of "no rows".
  const predicate = `${column} = (SELECT NULLIF(current_setting('${setting}', true), '')::${type})`;
  return [
    `ALTER TABLE ${qualified} ENABLE ROW LEVEL SECURITY`,
    `ALTER TABLE ${qualified} FORCE ROW LEVEL SECURITY`,
    `DROP POLICY IF EXISTS ${policy} ON ${qualified}`,
    `CREATE POLICY ${policy} ON ${qualified} FOR ALL USING (${predicate}) WITH CHECK (${predicate})`,
  ];
}

/** `set_config(setting, workspaceId, true)`: transaction-local, so it never leaks to the next user of a pooled connection. */
export function setWorkspaceSql(workspaceId: string, setting = DEFAULT_RLS_SETTING): SQL {
  return sql`select set_config(${setting}, ${workspaceId}, true)`;
}
