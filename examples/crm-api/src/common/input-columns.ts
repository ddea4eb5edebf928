/**
 * Which column (the Drizzle property of `Values`, a table's `$inferInsert`) each field of a
 * contract input `I` sets: `{ size_range: 'sizeRange' }`.
 */
export type ColumnMap<I, Values = Record<string, unknown>> = { readonly [Field in keyof I]?: keyof Values & string };

/** The values `map` names, under their column names. A field the input lacks maps to undefined. */
export type Columns<I, M extends ColumnMap<I>> = { -readonly [Field in keyof M & keyof I as M[Field] & string]: I[Field] };

/**
 * An input of the contract (snake_case fields) as the columns it sets, for `insert().values()` and
 * `update().set()` alike: an update's absent fields come out undefined, which Drizzle leaves
 * unchanged. The types follow the input: a create's required fields stay required.
 */
export function inputColumns<I extends object, const M extends ColumnMap<I>>(input: I, map: M): Columns<I, M> {
  const values: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(map)) values[column as string] = (input as Record<string, unknown>)[field];
  return values as Columns<I, M>;
}
