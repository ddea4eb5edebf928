import { DATE, GENERIC, isPlainRecord, restoreRecord, shapeOf, type Shape } from './value-tables';

/** Why a value was not stored: it is not plain data. */
export class UnstorableValue {
  constructor(readonly reason: string) {}
}

/** Where something sits in a value: the keys and indexes leading to it ([] for the value itself). */
type Path = (string | number)[];

/**
 * A value as it is stored: its JSON text, and its layout: what `JSON.parse` alone would not give
 * back ('' when there is nothing). Dates travel as their epoch milliseconds and come back as Dates;
 * arrays of records that share their keys travel as tables (see value-tables.ts) and come back as
 * records. So reading an entry is native `JSON.parse` plus one step per table row and per Date:
 * no reviver walks the value. (Epoch numbers, not ISO strings: `toISOString` per Date would cost
 * the write as much as the rest of the JSON, and `new Date()` reads both, so entries written as
 * ISO strings by an earlier version still read back.)
 */
export interface EncodedValue {
  json: string;
  layout: string;
}

/**
 * The layout, as JSON: `t` the tables (where, and their shape), in the order they are restored
 * (a table inside a row of another comes after it); `d` where the other Dates are, once the
 * tables are restored. An earlier version wrote only the Dates' paths, as a JSON array.
 */
interface Layout {
  t?: [Path, Shape][];
  d?: Path[];
}

/**
 * The stored form of a value, or `UnstorableValue`: cycles, bigints, functions, symbols, invalid
 * Dates, class instances (other than Date), Maps and Sets would come back as something else, or
 * not at all. Object properties that are `undefined` are left out, as JSON does.
 */
export function encodeValue(value: unknown): EncodedValue | UnstorableValue {
  const encoder = new Encoder();
  const prepared = encoder.prepare(value, [], 0);
  if (prepared instanceof UnstorableValue) return prepared;
  return { json: JSON.stringify(prepared) ?? 'null', layout: encoder.layout() };
}

/** The value `encodeValue` stored. */
export function decodeValue(encoded: EncodedValue): unknown {
  let value: unknown = JSON.parse(encoded.json);
  if (!encoded.layout) return value;
  const parsed = JSON.parse(encoded.layout) as Layout | Path[];
  const layout: Layout = Array.isArray(parsed) ? { d: parsed } : parsed;
  for (const [path, shape] of layout.t ?? []) {
    value = replaceAt(value, path, (rows) => (rows as unknown[][]).map((row) => restoreRecord(row, shape)));
  }
  for (const path of layout.d ?? []) value = replaceAt(value, path, (time) => new Date(time as number));
  return value;
}

/** `root` with the value at `path` replaced by `replace(it)` (in place, but for the root itself). */
function replaceAt(root: unknown, path: Path, replace: (value: unknown) => unknown): unknown {
  if (path.length === 0) return replace(root);
  let parent = root as Record<string | number, unknown>;
  for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]!] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  parent[last] = replace(parent[last]); // an own "__proto__" key is a data property: assigning it sets the key
  return root;
}

/**
 * Past this depth a value is refused: plain data this deep is a cycle (or a structure no page of
 * data has), and checking depth costs the walk nothing where a set of ancestors cost every object.
 */
const MAX_DEPTH = 512;

/**
 * Walks a value once: answers why it cannot be stored, if so; else records its layout and returns
 * what JSON.stringify is given: the value itself where its subtree holds neither a Date nor a
 * table, a shallow copy with each Date replaced by its epoch milliseconds and each table by its
 * rows' values where it does. The caller's value is never changed, and Dates never reach
 * JSON.stringify (their `toJSON` takes it off its fast path).
 */
class Encoder {
  private readonly tables: [Path, Shape][] = [];
  private readonly dates: Path[] = [];

  layout(): string {
    if (this.tables.length === 0 && this.dates.length === 0) return '';
    const layout: Layout = {};
    if (this.tables.length > 0) layout.t = this.tables;
    if (this.dates.length > 0) layout.d = this.dates;
    return JSON.stringify(layout);
  }

  prepare(value: unknown, path: Path, depth: number): unknown {
    switch (typeof value) {
      case 'string':
      case 'number':
      case 'boolean':
      case 'undefined':
        return value;
      case 'bigint':
      case 'function':
      case 'symbol':
        return new UnstorableValue(`a ${typeof value}`);
    }
    if (value === null) return value;
    if (value instanceof Date) {
      const time = value.getTime();
      if (Number.isNaN(time)) return invalidDate();
      this.dates.push([...path]);
      return time;
    }
    if (depth >= MAX_DEPTH) return new UnstorableValue(`a cycle or nesting deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(value)) {
      const shape = shapeOf(value);
      return shape ? this.table(value as Record<string, unknown>[], shape, path, depth + 1) : this.array(value, path, depth + 1);
    }
    if (!isPlainRecord(value)) return new UnstorableValue(`an instance of ${(value as object).constructor?.name ?? 'a class'}`);
    return this.object(value, path, depth + 1);
  }

  private array(array: unknown[], path: Path, depth: number): unknown {
    let copy: unknown[] | undefined;
    for (let i = 0; i < array.length; i++) {
      const child = array[i];
      path.push(i);
      const prepared = this.prepare(child, path, depth);
      path.pop();
      if (prepared === child) continue;
      if (prepared instanceof UnstorableValue) return prepared;
      (copy ??= array.slice())[i] = prepared;
    }
    return copy ?? array;
  }

  private object(object: Record<string, unknown>, path: Path, depth: number): unknown {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(object)) {
      const child = object[key];
      path.push(key);
      const prepared = this.prepare(child, path, depth);
      path.pop();
      if (prepared === child) continue;
      if (prepared instanceof UnstorableValue) return prepared;
      // A spread defines its keys (an own "__proto__" too), so assigning one afterwards sets that key.
      (copy ??= { ...object })[key] = prepared;
    }
    return copy ?? object;
  }

  /** Rows as arrays of their values; the table is recorded first, so tables inside its rows come after it. */
  private table(rows: Record<string, unknown>[], shape: Shape, path: Path, depth: number): unknown {
    this.tables.push([[...path], shape]);
    const values: unknown[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      path.push(i);
      const record = this.record(rows[i]!, shape, path, depth);
      path.pop();
      if (record instanceof UnstorableValue) return record;
      values[i] = record;
    }
    return values;
  }

  /**
   * A record's values in the order of `shape.k` (see `restoreRecord`). `Object.values` gives them
   * in that order: `shapeOf` found exactly these keys, in this order, on this record, and nothing
   * runs in between. One native copy, then only the cells that are not primitives are touched.
   */
  private record(record: Record<string, unknown>, shape: Shape, path: Path, depth: number): unknown[] | UnstorableValue {
    // No depth check: shapes nest at most 8 records deep (value-tables.ts), and every other cell goes through `prepare`.
    const values = Object.values(record);
    const columns = shape.c;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const type = typeof value;
      if (value === null || type === 'string' || type === 'number' || type === 'boolean') continue; // most cells: nothing to walk
      const column = columns[i]!;
      let prepared: unknown;
      if (column === DATE) {
        prepared = (value as Date).getTime();
        if (Number.isNaN(prepared)) return invalidDate();
      } else {
        path.push(shape.k[i]!);
        prepared = column === GENERIC ? this.prepare(value, path, depth + 1) : this.record(value as Record<string, unknown>, column, path, depth + 1);
        path.pop();
        if (prepared instanceof UnstorableValue) return prepared;
      }
      values[i] = prepared;
    }
    return values;
  }
}

function invalidDate(): UnstorableValue {
  return new UnstorableValue('an invalid Date');
}
