// Letters, digits and underscores, not starting with a digit, at most 63 bytes (PostgreSQL's
// NAMEDATALEN - 1): a name that needs no quoting, whatever the server's settings.
const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Whether `value` is a plain SQL identifier (a schema, table, column or role name the suite's
 * options accept). Options are checked with it at bootstrap; the SQL itself still quotes every
 * name (pg's `escapeIdentifier`, Drizzle's `sql.identifier`).
 */
export function isSqlIdentifier(value: unknown): value is string {
  return typeof value === 'string' && PLAIN_IDENTIFIER.test(value);
}

/** Whether `value` is a custom setting name `prefix.name` of two plain identifiers (`app.workspace_id`). */
export function isSqlSettingName(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const [prefix, name, ...rest] = value.split('.');
  return rest.length === 0 && isSqlIdentifier(prefix) && isSqlIdentifier(name);
}
