/**
 * Tables: how an array of records that share their keys (the rows of a page, what a cache mostly
 * holds) is stored without its keys. Each row becomes the array of its values, and the keys are
 * written once, in the entry's layout. The keys of a 50-row page are about half its JSON, which
 * Redis, the network and both `JSON.stringify` and `JSON.parse` would otherwise carry 50 times.
 *
 * A `Shape` says how to read a row's values back: `GENERIC` values are plain JSON (their Dates,
 * if any, are found by path), `DATE` values are epoch milliseconds or null, and a nested `Shape`
 * is a record (the `owner` of a row) stored the same way, or null.
 */
export interface Shape {
  /** The keys, in their order in every row. */
  k: string[];
  /** How each key's values are stored. */
  c: Column[];
}

export type Column = typeof GENERIC | typeof DATE | Shape;

export const GENERIC = 0;
export const DATE = 1;

/** While rows are scanned: no value seen but null yet. */
const UNKNOWN = -1;
type Guess = typeof UNKNOWN | typeof GENERIC | typeof DATE | ShapeGuess;
interface ShapeGuess {
  k: string[];
  c: Guess[];
}

/** Fewer rows than this are not worth a layout entry. */
const MIN_ROWS = 2;

/**
 * Records nested deeper than this inside a row are stored as plain JSON: rows are shallow, and the
 * bound keeps a cycle (which the plain walk then refuses) from recursing here without end.
 */
const MAX_NESTING = 8;

/**
 * The shape every element of `rows` has, or undefined when they are not all plain records with
 * the same keys in the same order (then the array is stored as plain JSON). A record with an
 * `undefined` value is left to plain JSON too (JSON leaves such a key out; a table would not), as
 * is a `__proto__` key (assigning it when reading back would set a prototype, not a key).
 */
export function shapeOf(rows: readonly unknown[]): Shape | undefined {
  if (rows.length < MIN_ROWS) return undefined;
  let guess: ShapeGuess | undefined;
  for (const row of rows) {
    const next = guessRecord(row, guess, 0);
    if (next === GENERIC) return undefined;
    guess = next;
  }
  return finish(guess!);
}

/** The record whose values the encoder stored in the order of `shape.k` (each as its column says). */
export function restoreRecord(values: unknown[], shape: Shape): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  const { k: keys, c: columns } = shape;
  for (let i = 0; i < keys.length; i++) {
    const value = values[i];
    const column = columns[i]!;
    record[keys[i]!] = value === null || column === GENERIC ? value : column === DATE ? new Date(value as number) : restoreRecord(value as unknown[], column);
  }
  return record;
}

export function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** `guess` widened by one more record: GENERIC when `value` is not a record of the same keys. */
function guessRecord(value: unknown, guess: ShapeGuess | undefined, nesting: number): ShapeGuess | typeof GENERIC {
  if (nesting > MAX_NESTING || !isPlainRecord(value)) return GENERIC;
  const keys = Object.keys(value);
  if (guess === undefined) {
    if (keys.length === 0 || keys.includes('__proto__')) return GENERIC;
    guess = { k: keys, c: keys.map(() => UNKNOWN) };
  } else if (!sameKeys(keys, guess.k)) {
    return GENERIC;
  }
  const columns = guess.c;
  const values = Object.values(value); // in the order of `keys`, without a lookup by name per cell
  for (let i = 0; i < values.length; i++) {
    const column = guessColumn(columns[i]!, values[i], nesting);
    if (column === undefined) return GENERIC;
    columns[i] = column;
  }
  return guess;
}

/** A column's guess widened by one more value; undefined when the value is `undefined`. */
function guessColumn(guess: Guess, value: unknown, nesting: number): Guess | undefined {
  if (value === undefined) return undefined;
  if (value === null || guess === GENERIC) return guess;
  if (value instanceof Date) return guess === UNKNOWN || guess === DATE ? DATE : GENERIC;
  if (guess === UNKNOWN || typeof guess === 'object') {
    if (!isPlainRecord(value)) return GENERIC;
    return guessRecord(value, guess === UNKNOWN ? undefined : guess, nesting + 1);
  }
  return GENERIC;
}

function finish(guess: ShapeGuess): Shape {
  return { k: guess.k, c: guess.c.map((column) => (column === UNKNOWN ? GENERIC : typeof column === 'object' ? finish(column) : column)) };
}

function sameKeys(keys: string[], expected: string[]): boolean {
  if (keys.length !== expected.length) return false;
  for (let i = 0; i < keys.length; i++) if (keys[i] !== expected[i]) return false;
  return true;
}
