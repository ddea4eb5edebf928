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
  const prepared = prepare(value, [], dates, new Set());
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
 * Walks `value` once: answers why it cannot be stored, if so; else records the paths of its Dates
 * and returns what JSON.stringify is given: `value` itself where its subtree holds no Date, a copy
 * with each Date replaced by its epoch milliseconds where it does. The caller's value is never
 * changed, and Dates never reach JSON.stringify (their `toJSON` takes it off its fast path).
 */
function prepare(value: unknown, path: Path, dates: Path[], ancestors: Set<object>): unknown {
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
  const object = value as object;
  if (ancestors.has(object)) return new UnstorableValue('a cycle');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return prepareArray(object, path, dates, ancestors);
    const prototype = Object.getPrototypeOf(object) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      return new UnstorableValue(`an instance of ${object.constructor?.name ?? 'a class'}`);
    }
    return prepareObject(object as Record<string, unknown>, path, dates, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

function prepareArray(array: unknown[], path: Path, dates: Path[], ancestors: Set<object>): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const child = array[i];
    // JSON turns an array's undefined into null: it holds no Date.
    if (child === undefined) continue;
    path.push(i);
    const prepared = prepare(child, path, dates, ancestors);
    path.pop();
    if (prepared instanceof UnstorableValue) return prepared;
    if (prepared !== child && !copy) copy = array.slice(0, i);
    if (copy) copy[i] = prepared;
  }
  if (copy) copy.length = array.length;
  return copy ?? array;
}

function prepareObject(object: Record<string, unknown>, path: Path, dates: Path[], ancestors: Set<object>): unknown {
  const keys = Object.keys(object);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const child = object[key];
    // JSON leaves out an object's undefined properties: they hold no Date.
    if (child === undefined) continue;
    if (typeof child === 'function' || typeof child === 'symbol') return new UnstorableValue(`a ${typeof child}`);
    path.push(key);
    const prepared = prepare(child, path, dates, ancestors);
    path.pop();
    if (prepared instanceof UnstorableValue) return prepared;
    if (prepared !== child && !copy) {
      copy = {};
      for (let j = 0; j < i; j++) setOwn(copy, keys[j]!, object[keys[j]!]);
    }
    if (copy) setOwn(copy, key, prepared);
  }
  return copy ?? object;
}

/** `target[key] = value`, also for an own "__proto__" key (assigning that would set the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
