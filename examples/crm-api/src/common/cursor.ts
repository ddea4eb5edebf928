import { and, eq, lt, or, type AnyColumn, type SQL } from 'drizzle-orm';
import { ApiError } from './api-error';

/** Position of the last row of a page, for keyset pagination on (created_at DESC, id DESC). */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString('base64url');
}

/** Decodes a client's cursor; a forged or garbled one is a 400, never a database error. */
export function decodeCursor(value: string | undefined): Cursor | null {
  if (value === undefined) return null;
  const [at, id] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (!id || !/^[0-9a-f-]{36}$/i.test(id) || Number.isNaN(createdAt.getTime())) {
    throw new ApiError('VALIDATION_FAILED', 'The cursor is not one this API issued.', [{ path: 'cursor', message: 'Invalid cursor' }]);
  }
  return { createdAt, id };
}

/** Rows after `cursor` in (created_at DESC, id DESC) order. */
export function afterCursor(cursor: Cursor | null, createdAt: AnyColumn, id: AnyColumn): SQL | undefined {
  if (!cursor) return undefined;
  return or(lt(createdAt, cursor.createdAt), and(eq(createdAt, cursor.createdAt), lt(id, cursor.id)));
}

/** Splits the `limit + 1` rows a page query fetched into the page and the next cursor. */
export function pageOf<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const page = rows.slice(0, limit);
  return { rows: page, nextCursor: encodeCursor(page[page.length - 1]!) };
}
