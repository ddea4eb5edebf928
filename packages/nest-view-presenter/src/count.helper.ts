import { z } from 'zod';
import { InvalidViewValueError } from './view-presenter.errors';

/** What a database driver hands back for a count: Postgres `count(*)` is a bigint, so node-pg sends a string. */
export type CountLike = number | string | bigint | null | undefined;

function invalid(value: unknown, why: string): never {
  throw new InvalidViewValueError(
    `count() got ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}: ${why}. ` +
      'Counts are non-negative integers; check the query that produced this value.',
  );
}

/**
 * A count as views carry it: a non-negative integer, 0 when absent. Normalises what Postgres
 * drivers return (`'12'`, `12n`, `null` from a LEFT JOIN) so presenters are total.
 * Throws `InvalidViewValueError` for a negative, fractional, unsafe or non-numeric value.
 *
 * @example contact_count: count(row.contact_count) // number
 */
export function count(value: CountLike): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'bigint') {
    if (value < 0n) invalid(value, 'it is negative');
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) invalid(value, 'it exceeds Number.MAX_SAFE_INTEGER');
    return Number(value);
  }
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return invalid(value, 'it is not a number');
  if (!Number.isSafeInteger(n)) invalid(value, 'it is not a safe integer');
  if (n < 0) invalid(value, 'it is negative');
  return n;
}

/**
 * The view schema of a count: a non-negative integer that defaults to 0, what `count()` returns
 * and what `assertViewContract` expects of every `*_count` field.
 */
export function countSchema() {
  return z.int().nonnegative().default(0);
}
