import { z } from 'zod';
import { InvalidViewValueError } from './view-presenter.errors';

/** What a database driver hands back for a timestamp: a Date, an ISO or Postgres text timestamp, epoch milliseconds. */
export type DateLike = Date | string | number;

// Postgres text output ('2024-05-01 10:00:00.123+00', drizzle `mode: 'string'`) is not ISO 8601:
// make it so before parsing, since Date parsing of non-ISO strings is implementation-defined.
const PG_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/;

function toDate(value: DateLike): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value);
  const pg = PG_TIMESTAMP.exec(value);
  return new Date(pg ? `${pg[1]}T${pg[2]}${pg[3]}:${pg[4] ?? '00'}` : value);
}

/**
 * A timestamp as the ISO 8601 UTC string views carry ('2024-05-01T10:00:00.000Z'), from a Date,
 * an ISO or Postgres text timestamp, or epoch milliseconds. `null`/`undefined` give `null`, so a
 * nullable view field is one call. Throws `InvalidViewValueError` for an unparseable value.
 *
 * @example closed_at: iso(row.closed_at) // string | null
 */
export function iso(value: DateLike): string;
export function iso(value: DateLike | null | undefined): string | null;
export function iso(value: DateLike | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidViewValueError(`iso() got ${JSON.stringify(String(value))}, which is not a date. Pass a Date, an ISO 8601 string or epoch milliseconds.`);
  }
  return date.toISOString();
}

/**
 * The view schema of a timestamp: an ISO 8601 UTC string, what `iso()` returns.
 * Use `isoSchema().nullable()` for a timestamp that may be absent.
 */
export function isoSchema() {
  return z.iso.datetime();
}
