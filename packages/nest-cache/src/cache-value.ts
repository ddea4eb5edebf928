/** Why a value was not stored: it is not plain data. */
export class UnstorableValue {
  constructor(readonly reason: string) {}
}

/** Where a Date sits in a value: the keys and indexes leading to it ([] for the value itself). */
type Path = (string | number)[];

/**
 * A value as it is stored: its JSON text and where its Dates are (the JSON of their paths, '' when
 * there are none). Dates travel as their epoch milliseconds in the text and come back as Dates
 * from their paths, so reading an entry is native `JSON.parse` plus one assignment per Date: no
 * reviver walks the value. (Epoch numbers, not ISO strings: `toISOString` per Date would cost the
 * write as much as the rest of the JSON, and `new Date()` reads both, so entries written as ISO
 * strings by an earlier version still read back.)
 */
export interface EncodedValue {
  json: string;
  dates: string;
}

/**
 * The stored form of a value, or `UnstorableValue`: cycles, bigints, functions, symbols, invalid
 * Dates, class instances (other than Date), Maps and Sets would come back as something else, or
 * not at all. Object properties that are `undefined` are left out, as JSON does.
 */
export function encodeValue(value: unknown): EncodedValue | UnstorableValue {
  const dates: Path[] = [];
  const prepared = prepare(value, [], dates, 0);
  if (prepared instanceof UnstorableValue) return prepared;
  return { json: JSON.stringify(prepared) ?? 'null', dates: dates.length ? JSON.stringify(dates) : '' };
}

/** The value `encodeValue` stored. */
export function decodeValue(encoded: EncodedValue): unknown {
  let value: unknown = JSON.parse(encoded.json);
  if (!encoded.dates) return value;
  for (const path of JSON.parse(encoded.dates) as Path[]) {
    if (path.length === 0) {
      value = new Date(value as number);
      continue;
    }
    let parent = value as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]!] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    parent[last] = new Date(parent[last] as number); // an own "__proto__" key is a data property: assigning it sets the key
  }
  return value;
}

/**
 * Past this depth a value is refused: plain data this deep is a cycle (or a structure no page of
 * data has), and checking depth costs the walk nothing where a set of ancestors cost every object.
 */
const MAX_DEPTH = 512;

/**
 * Walks `value` once: answers why it cannot be stored, if so; else records the paths of its Dates
 * and returns what JSON.stringify is given: `value` itself where its subtree holds no Date, a
 * shallow copy with each Date replaced by its epoch milliseconds where it does. The caller's value
 * is never changed, and Dates never reach JSON.stringify (their `toJSON` takes it off its fast path).
 */
function prepare(value: unknown, path: Path, dates: Path[], depth: number): unknown {
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
    if (Number.isNaN(time)) return new UnstorableValue('an invalid Date');
    dates.push([...path]);
    return time;
  }
  if (depth >= MAX_DEPTH) return new UnstorableValue(`a cycle or nesting deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return prepareArray(value, path, dates, depth + 1);
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) {
    return new UnstorableValue(`an instance of ${(value as object).constructor?.name ?? 'a class'}`);
  }
  return prepareObject(value as Record<string, unknown>, path, dates, depth + 1);
}

function prepareArray(array: unknown[], path: Path, dates: Path[], depth: number): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const child = array[i];
    path.push(i);
    const prepared = prepare(child, path, dates, depth);
    path.pop();
    if (prepared === child) continue;
    if (prepared instanceof UnstorableValue) return prepared;
    (copy ??= array.slice())[i] = prepared;
  }
  return copy ?? array;
}

function prepareObject(object: Record<string, unknown>, path: Path, dates: Path[], depth: number): unknown {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const child = object[key];
    path.push(key);
    const prepared = prepare(child, path, dates, depth);
    path.pop();
    if (prepared === child) continue;
    if (prepared instanceof UnstorableValue) return prepared;
    // A spread defines its keys (an own "__proto__" too), so assigning one afterwards sets that key.
    (copy ??= { ...object })[key] = prepared;
  }
  return copy ?? object;
}
