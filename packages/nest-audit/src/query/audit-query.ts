import { isUuid, type ActorKind } from '@acme/nest-context';
import type { AuditEntry, AuditStatus } from '../audit-entry';
import type { AuditTableOptions } from '../storage/audit-storage.options';
import type { SqlQueryable } from '../storage/sql-client';
import { auditTableName } from '../storage/sql-identifier';
import { DEFAULT_AUDIT_TABLE } from '../audit-entry';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor';
import { checkFilterText } from './audit-filter-text';
import { AuditQueryError } from './audit-query.errors';
import { AUDIT_SELECT_LIST, auditEntryFromRow } from './audit-row';

/** Filters of {@link AuditQuery.find}. Unset (or empty) filters do not narrow. */
export interface AuditQueryFilters {
  /** Required: a query never spans workspaces. */
  workspaceId: string;
  actorId?: string;
  actorKind?: ActorKind;
  /** Title Case, as stored: 'Deal'. */
  subject?: string;
  subjectId?: string;
  /** Title Case, as stored: 'Update'. */
  action?: string;
  status?: AuditStatus;
  /** Entries at or after this instant (Date or ISO 8601). */
  from?: Date | string;
  /** Entries strictly before this instant (Date or ISO 8601). */
  to?: Date | string;
  /**
   * Page size; values above 500 are capped at 500.
   * @default 50
   */
  limit?: number;
  /** The `nextCursor` of the previous page; unset for the first page. */
  cursor?: string;
}

/**
 * One page of entries, newest first. Every field is camelCase, as `AuditEntry`'s are, in
 * TypeScript and in the JSON of `GET /audit` alike.
 */
export interface AuditQueryPage {
  items: AuditEntry[];
  /** Pass it as `cursor` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Where {@link AuditQuery} reads. */
export type AuditQueryOptions = AuditTableOptions;

/**
 * The default and maximum page sizes of {@link AuditQuery.find}, and the longest value a text
 * filter (`actorId`, `subject`, `subjectId`, `action`) may have.
 */
export const AUDIT_QUERY_LIMITS = { default: 50, max: 500, filterLength: 1_000 } as const;

const EQUALS = [
  ['actorId', 'actor_id'],
  ['actorKind', 'actor_kind'],
  ['subject', 'subject'],
  ['subjectId', 'subject_id'],
  ['action', 'action'],
  ['status', 'status'],
] as const;
/** Filters with a closed set of values: anything else is a mistake, not an empty page. */
const ONE_OF: Partial<Record<(typeof EQUALS)[number][0], readonly string[]>> = {
  actorKind: ['User', 'System', 'Job'] satisfies ActorKind[],
  status: ['Success', 'Failure'] satisfies AuditStatus[],
};

/**
 * Reads the audit log of one workspace, newest first, with keyset pagination over
 * (occurred_at DESC, id DESC): pages stay fast at any depth and never repeat or skip an entry
 * while new ones arrive. Parameterized SQL only; it uses the indexes the migration creates.
 */
export class AuditQuery {
  private readonly from: string;

  /** @param db a `pg.Pool` (or anything with node-postgres' `query(text, params)`) */
  constructor(
    private readonly db: SqlQueryable,
    options: AuditQueryOptions = {},
  ) {
    this.from = auditTableName(options.table ?? DEFAULT_AUDIT_TABLE, options.schema).qualified;
  }

  /**
   * One page of entries matching every filter.
   * @throws AuditQueryError `AUDIT_WORKSPACE_REQUIRED`, `AUDIT_INVALID_CURSOR`, `AUDIT_INVALID_FILTER` or
   * `AUDIT_INVALID_CHARACTERS` (client errors: 400)
   */
  async find(filters: AuditQueryFilters): Promise<AuditQueryPage> {
    const { text, values, limit } = this.build(filters);
    const { rows } = await this.db.query(text, values).catch((error: unknown) => {
      throw refusedValue(error);
    });
    const page = rows.slice(0, limit) as Record<string, any>[];
    const last = page[page.length - 1];
    return {
      items: page.map(auditEntryFromRow),
      nextCursor: rows.length > limit && last ? encodeAuditCursor({ occurredAt: last.cursor_at, id: last.id }) : null,
    };
  }

  /** The SQL and parameters `find` runs (for EXPLAIN and logs); validates like `find`. */
  toSql(filters: AuditQueryFilters): { text: string; values: unknown[] } {
    const { text, values } = this.build(filters);
    return { text, values };
  }

  private build(filters: AuditQueryFilters): { text: string; values: unknown[]; limit: number } {
    const values: unknown[] = [];
    const param = (value: unknown, cast = '') => `$${values.push(value)}${cast}`;
    const where = auditFilterConditions(filters, param);
    if (filters.cursor !== undefined && filters.cursor !== null && filters.cursor !== '') {
      const position = decodeAuditCursor(filters.cursor);
      // A row comparison matches the index order (occurred_at DESC, id DESC), so it is an index
      // bound rather than a filter; ties on occurred_at are broken by id.
      where.push(`("occurred_at", "id") < (${param(position.occurredAt, '::timestamptz')}, ${param(position.id, '::uuid')})`);
    }
    const limit = pageSize(filters.limit);

    const text = [
      // The cursor keeps the database's microseconds: a JS Date would round them to milliseconds
      // and make the next page repeat or skip rows.
      `SELECT ${AUDIT_SELECT_LIST}, ${AUDIT_CURSOR_AT}`,
      `FROM ${this.from}`,
      `WHERE ${where.join(' AND ')}`,
      'ORDER BY "occurred_at" DESC, "id" DESC',
      `LIMIT ${param(limit + 1)}`, // one more row than the page says whether there is a next page
    ].join('\n');
    return { text, values, limit };
  }
}

/** The select item `cursor_at`: occurred_at in UTC with microseconds, as cursors hold it. */
export const AUDIT_CURSOR_AT = `to_char("occurred_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "cursor_at"`;

/**
 * Validates the filters `find` and `export` share (the workspace, the equality filters, `from`
 * and `to`; not the cursor or the page size) and returns their SQL conditions, adding the values
 * through `param`.
 * @throws AuditQueryError before any SQL runs
 */
export function auditFilterConditions(filters: Partial<AuditQueryFilters>, param: (value: unknown, cast?: string) => string): string[] {
  if (typeof filters !== 'object' || filters === null) throw workspaceRequired();
  checkFilterText(filters);
  const where: string[] = [];
  const workspaceId = filters.workspaceId as unknown;
  if (workspaceId === undefined || workspaceId === null || (typeof workspaceId === 'string' && workspaceId.trim() === '')) throw workspaceRequired();
  if (!isUuid(workspaceId)) throw invalid('workspaceId', 'a UUID', workspaceId);
  where.push(`"workspace_id" = ${param(workspaceId, '::uuid')}`);

  for (const [filter, column] of EQUALS) {
    const value = filters[filter] as unknown;
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') throw invalid(filter, 'a string', value);
    if (value.length > AUDIT_QUERY_LIMITS.filterLength) throw invalid(filter, `at most ${AUDIT_QUERY_LIMITS.filterLength} characters`, value);
    const allowed = ONE_OF[filter];
    if (allowed && !allowed.includes(value)) throw invalid(filter, `one of ${allowed.map((v) => `'${v}'`).join(', ')}`, value);
    where.push(`"${column}" = ${param(value)}`);
  }
  const from = instant('from', filters.from);
  if (from) where.push(`"occurred_at" >= ${param(from, '::timestamptz')}`);
  const to = instant('to', filters.to);
  if (to) where.push(`"occurred_at" < ${param(to, '::timestamptz')}`);
  return where;
}

function pageSize(limit: unknown): number {
  if (limit === undefined || limit === null) return AUDIT_QUERY_LIMITS.default;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw invalid('limit', `an integer from 1 to ${AUDIT_QUERY_LIMITS.max}`, limit);
  return Math.min(limit, AUDIT_QUERY_LIMITS.max);
}

function instant(filter: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const date = value instanceof Date ? value : typeof value === 'string' && value.length <= 100 ? new Date(value) : undefined;
  // Years 1 to 9999 only: JS dates reach years PostgreSQL cannot read back ('+099999-...', '-000001-...').
  const year = date?.getUTCFullYear() ?? Number.NaN;
  if (!date || Number.isNaN(date.getTime()) || year < 1 || year > 9999) throw invalid(filter, 'a Date or an ISO 8601 string within years 1 to 9999', value);
  return date.toISOString();
}

/**
 * A data exception (SQLSTATE class 22: a value PostgreSQL cannot read) can only come from a
 * filter value the checks above let through: still the caller's input, so a client error.
 */
export function refusedValue(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('22')) return error;
  return new AuditQueryError('AUDIT_INVALID_FILTER', `PostgreSQL refused a filter value (${(error as Error).message}): check the filters' formats.`);
}

function workspaceRequired(): AuditQueryError {
  return new AuditQueryError('AUDIT_WORKSPACE_REQUIRED', 'An audit query needs a workspaceId: the log is only ever read one workspace at a time.');
}

function invalid(filter: string, expected: string, value: unknown): AuditQueryError {
  return new AuditQueryError('AUDIT_INVALID_FILTER', `Audit query filter "${filter}" must be ${expected}, got ${shown(value)}.`);
}

/** The rejected value for the message, without echoing a huge one back. */
function shown(value: unknown): string {
  if (typeof value === 'string' && value.length > 100) return `a string of ${value.length} characters`;
  const text = value instanceof Date ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}
