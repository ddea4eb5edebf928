import { isSqlIdentifier } from '@acme/nest-context';
import pg from 'pg';
import { AuditStorageError } from './audit-storage.errors';

// Derived names (`<table>_daily`, `<table>_p20261124`, `<table>_workspace_subject_idx`) must stay
// within PostgreSQL's 63-byte identifier limit, or the server would silently truncate them.
const MAX_TABLE_LENGTH = 40;
const MAX_SCHEMA_LENGTH = 63;

const UNIT = '(?:microseconds?|milliseconds?|seconds?|mins?|minutes?|hours?|days?|weeks?|mons?|months?|years?)';
const INTERVAL = new RegExp(`^\\d{1,6} ?${UNIT}(?: \\d{1,6} ?${UNIT})*$`, 'i');

/** Double-quotes an identifier (the names used here are validated first, quoting keeps case): pg's `escapeIdentifier`. */
export const quoteIdentifier: (name: string) => string = pg.escapeIdentifier;

/** A SQL string literal: pg's `escapeLiteral`. */
export const quoteLiteral: (value: string) => string = pg.escapeLiteral;

/** Where the audit table lives, validated: plain identifiers only, so no option reaches SQL unchecked. */
export interface AuditTableName {
  readonly table: string;
  readonly schema: string | undefined;
  /** `"schema"."table"`, or `"table"` (resolved through the search_path) without a schema. */
  readonly qualified: string;
  /** The same for a name derived from the table (`"schema"."<table><suffix>"`). */
  derived(suffix: string): string;
  /** Another relation in the table's schema (`"schema"."<name>"`), e.g. a partition. */
  sibling(name: string): string;
}

/** Validates `table` and `schema`, and builds their quoted forms. */
export function auditTableName(table: string, schema: string | undefined): AuditTableName {
  check('table', table, MAX_TABLE_LENGTH);
  if (schema !== undefined) check('schema', schema, MAX_SCHEMA_LENGTH);
  const qualify = (name: string) => (schema === undefined ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`);
  return { table, schema, qualified: qualify(table), derived: (suffix) => qualify(`${table}${suffix}`), sibling: qualify };
}

/** Validates a PostgreSQL interval given as text ('1 day', '7 days', '1 year 6 months') and returns it. */
export function checkInterval(option: string, value: string): string {
  if (typeof value !== 'string' || !INTERVAL.test(value.trim())) {
    throw new AuditStorageError(
      'AUDIT_INVALID_STORAGE_OPTIONS',
      `Audit storage option "${option}" must be a PostgreSQL interval such as '1 day' or '365 days', got ${JSON.stringify(value)}.`,
    );
  }
  return value.trim();
}

function check(option: string, value: string, maxLength: number): void {
  if (!isSqlIdentifier(value) || value.length > maxLength) {
    throw new AuditStorageError(
      'AUDIT_INVALID_STORAGE_OPTIONS',
      `Audit storage option "${option}" must be a plain SQL identifier (letters, digits, _; at most ${maxLength} characters), got ${JSON.stringify(value)}.`,
    );
  }
}
