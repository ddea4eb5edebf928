import { Readable } from 'node:stream';
import { DEFAULT_AUDIT_TABLE } from '../audit-entry';
import { decodeAuditCursor, encodeAuditCursor, type AuditCursorPosition } from '../query/audit-cursor';
import { AUDIT_CURSOR_AT, auditFilterConditions, refusedValue, type AuditQueryFilters } from '../query/audit-query';
import { checkFilterText } from '../query/audit-filter-text';
import { AuditQueryError } from '../query/audit-query.errors';
import { AUDIT_SELECT_LIST, auditEntryFromRow } from '../query/audit-row';
import type { AuditTableOptions } from '../storage/audit-storage.options';
import type { SqlQueryable } from '../storage/sql-client';
import { auditTableName } from '../storage/sql-identifier';
import { csvHeader, csvRow, ndjsonLine, type AuditExportFormat } from './audit-export-format';

/**
 * What to export: the filters of `find` (the workspace is required; no `limit` or `cursor`: an
 * export runs to the end), the format, and where to resume.
 */
export type AuditExportFilters = Omit<AuditQueryFilters, 'limit' | 'cursor'> & {
  format: AuditExportFormat;
  /** The `cursor` of the last line (NDJSON) or row (CSV) received: the export resumes after it. */
  after?: string;
};

/** Where {@link AuditExport} reads, and how many rows each page query takes. */
export interface AuditExportOptions extends AuditTableOptions {
  /**
   * Rows per page query: memory holds about one page at a time.
   * @default 1000
   */
  pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 1_000;
/** Bytes the stream holds before it waits for its reader (each page is then read on demand). */
const HIGH_WATER_MARK = 64 * 1024;

/**
 * Streams one workspace's entries oldest first, by keyset pages over (occurred_at, id): memory
 * stays at about a page whatever the size of the log, and the next page is read only when the
 * reader has taken the previous one (a slow reader slows the export, it never makes it buffer).
 * Every line or row carries the `cursor` to resume after it. Each page is its own query (no
 * snapshot held open): entries written during the export appear when they sort after the
 * position reached; an entry stored late with an earlier `occurredAt` than that position does
 * not, so export up to a `to` in the past for a closed period.
 */
export class AuditExport {
  private readonly from: string;
  private readonly pageSize: number;

  /** @param db a `pg.Pool` (or anything with node-postgres' `query(text, params)`) */
  constructor(
    private readonly db: SqlQueryable,
    options: AuditExportOptions = {},
  ) {
    this.from = auditTableName(options.table ?? DEFAULT_AUDIT_TABLE, options.schema).qualified;
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
      throw new AuditQueryError(
        'AUDIT_INVALID_EXPORT_QUERY',
        `AuditExport option "pageSize" must be an integer from 1 to 10000, got ${JSON.stringify(pageSize)}.`,
      );
    }
    this.pageSize = pageSize;
  }

  /**
   * A text stream of the entries matching every filter, in `format`. Input is validated before
   * the stream is returned; a database error later destroys the stream with that error.
   * @throws AuditQueryError `AUDIT_WORKSPACE_REQUIRED`, `AUDIT_INVALID_FILTER`, `AUDIT_INVALID_CHARACTERS`,
   * `AUDIT_INVALID_CURSOR` (a bad `after`) or `AUDIT_INVALID_EXPORT_QUERY` (client errors: 400)
   */
  stream(filters: AuditExportFilters): Readable {
    if (typeof filters === 'object' && filters !== null) checkFilterText(filters);
    const { format, after } = checkExportFilters(filters);
    const values: unknown[] = [];
    const param = (value: unknown, cast = '') => `$${values.push(value)}${cast}`;
    const where = auditFilterConditions(filters, param);
    // Parameters past the filters: the page size, then the position (from the second page, or with `after`).
    const limitAt = values.length + 1;
    const query = (from: boolean) =>
      [
        `SELECT ${AUDIT_SELECT_LIST}, ${AUDIT_CURSOR_AT}`,
        `FROM ${this.from}`,
        `WHERE ${[...where, ...(from ? [`("occurred_at", "id") > ($${limitAt + 1}::timestamptz, $${limitAt + 2}::uuid)`] : [])].join(' AND ')}`,
        // Ascending on the index (workspace_id, occurred_at DESC, id DESC), read backwards.
        'ORDER BY "occurred_at", "id"',
        `LIMIT $${limitAt}`,
      ].join('\n');
    const first = query(false);
    const next = query(true);
    const encode = format === 'csv' ? csvRow : ndjsonLine;
    const pageSize = this.pageSize;
    const db = this.db;

    async function* pages(): AsyncGenerator<string> {
      let position: AuditCursorPosition | undefined = after;
      // The header goes out with the first page: the first chunk says the first query succeeded.
      let chunk = format === 'csv' ? csvHeader() : '';
      for (;;) {
        const page = position ? db.query(next, [...values, pageSize, position.occurredAt, position.id]) : db.query(first, [...values, pageSize]);
        const { rows } = await page.catch((error: unknown) => {
          throw refusedValue(error);
        });
        if (rows.length === 0) {
          if (chunk) yield chunk;
          return;
        }
        for (const row of rows) {
          position = { occurredAt: row.cursor_at, id: row.id };
          chunk += encode(auditEntryFromRow(row), encodeAuditCursor(position));
        }
        yield chunk;
        chunk = '';
        if (rows.length < pageSize) return;
      }
    }
    // Pull-based: the generator runs to its next page only when the stream's buffer has room.
    return Readable.from(pages(), { objectMode: false, highWaterMark: HIGH_WATER_MARK, encoding: 'utf8' });
  }
}

function checkExportFilters(filters: AuditExportFilters): { format: AuditExportFormat; after: AuditCursorPosition | undefined } {
  if (typeof filters !== 'object' || filters === null) {
    throw new AuditQueryError('AUDIT_WORKSPACE_REQUIRED', 'An audit export needs a workspaceId: the log is only ever read one workspace at a time.');
  }
  const raw = filters as Record<string, unknown>;
  for (const name of ['limit', 'cursor']) {
    if (raw[name] !== undefined && raw[name] !== null && raw[name] !== '') {
      throw new AuditQueryError(
        'AUDIT_INVALID_EXPORT_QUERY',
        `An audit export takes no "${name}": it streams every matching entry; resume an interrupted one with "after" (the cursor of the last line or row received).`,
      );
    }
  }
  const format = raw.format;
  if (format !== 'ndjson' && format !== 'csv') {
    const shown = typeof format === 'string' && format.length > 20 ? `${JSON.stringify(format.slice(0, 20))}...` : JSON.stringify(format);
    throw new AuditQueryError('AUDIT_INVALID_EXPORT_QUERY', `Audit export "format" must be 'ndjson' or 'csv', got ${shown ?? String(format)}.`);
  }
  const after = raw.after;
  if (after === undefined || after === null || after === '') return { format, after: undefined };
  try {
    if (typeof after !== 'string') throw new TypeError('not a string');
    return { format, after: decodeAuditCursor(after) };
  } catch {
    throw new AuditQueryError(
      'AUDIT_INVALID_CURSOR',
      'Audit export "after" is not a cursor this export wrote: pass the "cursor" of the last line or row received unchanged, or omit it to start from the oldest entry.',
    );
  }
}
