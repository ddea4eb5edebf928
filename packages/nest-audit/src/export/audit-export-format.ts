import type { AuditEntry } from '../audit-entry';

/** The formats of an export. */
export type AuditExportFormat = 'ndjson' | 'csv';

/** The fields of an exported entry, in column order: the entry's, then the resumption `cursor`. */
export const AUDIT_EXPORT_FIELDS = [
  'id',
  'occurredAt',
  'workspaceId',
  'actorKind',
  'actorId',
  'action',
  'subject',
  'subjectId',
  'status',
  'errorCode',
  'errorMessage',
  'requestId',
  'ip',
  'userAgent',
  'durationMs',
  'metadata',
  'changes',
  'cursor',
] as const satisfies readonly (keyof AuditEntry | 'cursor')[];

/** The content type each format is served with. */
export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
};

/** One NDJSON line: the entry as `GET /audit` shows it, plus its `cursor`. */
export function ndjsonLine(entry: AuditEntry, cursor: string): string {
  return `${JSON.stringify({ ...entry, cursor })}\n`;
}

/** The CSV header row (RFC 4180: CRLF line ends). */
export function csvHeader(): string {
  return `${AUDIT_EXPORT_FIELDS.join(',')}\r\n`;
}

/** One CSV row: null is an empty cell, objects are JSON, dates ISO 8601. */
export function csvRow(entry: AuditEntry, cursor: string): string {
  const record: Record<string, unknown> = { ...entry, cursor };
  return `${AUDIT_EXPORT_FIELDS.map((field) => csvCell(record[field])).join(',')}\r\n`;
}

// A spreadsheet reads a cell that starts with one of these as a formula (or, for TAB and CR, may
// strip them and then read one): OWASP's CSV injection guidance prefixes such cells with a quote.
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** A value as a CSV cell: the formula guard first, then RFC 4180 quoting when needed. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
