import { AuditQueryError } from './audit-query.errors';

// U+0000 cannot be stored in a PostgreSQL text value: sent as a parameter it fails the query.
// An unpaired surrogate cannot be encoded as UTF-8: the driver would send U+FFFD instead and
// match rows the caller never named.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every filter that may arrive as text (all of them from a query string), and the export's `after` and `format`. */
const TEXT_FILTERS = [
  'workspaceId',
  'actorId',
  'actorKind',
  'subject',
  'subjectId',
  'action',
  'status',
  'from',
  'to',
  'cursor',
  'limit',
  'after',
  'format',
] as const;

/**
 * Refuses, with `AUDIT_INVALID_CHARACTERS`, any text filter holding a character no stored
 * value can contain: checked first, before any other validation and before any SQL.
 */
export function checkFilterText(filters: object): void {
  for (const filter of TEXT_FILTERS) {
    const value = (filters as Record<string, unknown>)[filter];
    if (typeof value === 'string' && (value.includes('\u0000') || LONE_SURROGATE.test(value))) {
      throw new AuditQueryError(
        'AUDIT_INVALID_CHARACTERS',
        `Audit query filter "${filter}" contains a NUL character (U+0000) or an unpaired UTF-16 surrogate, which no stored entry can hold: remove it.`,
      );
    }
  }
}
