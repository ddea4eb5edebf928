import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * `column = any($1::<type>[])`: the list travels as one array parameter. Drizzle's `inArray`
 * binds one parameter per value (`IN ($1, ..., $50)`), and for page-sized id lists that
 * per-value binding, in Drizzle and in PostgreSQL's parser, costs more than the query itself.
 */
export function anyOf(column: PgColumn, values: readonly (string | number)[]): SQL {
  return sql`${column} = any(${sql.param(values)}::${sql.raw(column.getSQLType())}[])`;
}
