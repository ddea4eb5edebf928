/** Why a value was not stored: it is not plain data. */
export class UnstorableValue {
  constructor(readonly reason: string) {}
}

/** Where a Date sits in a value: the keys and indexes leading to it ([] for the value itself). */
type Path = (string | number)[];

/**
 * A value as it is stored: its JSON text and where its Dates are (the JSON of their paths, '' when
 * there are none). Dates travel as their ISO strings in the text and come back as Dates from their
 * paths, so reading an entry is native `JSON.parse` plus one assignment per Date: no reviver walks
 * the value.
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
  const plain = withoutDates(value, [], dates, new Set());
  if (plain instanceof UnstorableValue) return plain;
  return { json: JSON.stringify(plain) ?? 'null', dates: dates.length ? JSON.stringify(dates) : '' };
}

/** The value `encodeValue` stored. */
export function decodeValue(encoded: EncodedValue): unknown {
  let value: unknown = JSON.parse(encoded.json);
  if (!encoded.dates) return value;
  for (const path of JSON.parse(encoded.dates) as Path[]) {
    if (path.length === 0) {
      value = new Date(value as string);
      continue;
    }
    let parent = value as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]!] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    parent[last] = new Date(parent[last] as string);
  }
  return value;
}

/**
 * Walks `value` once: records the paths of its Dates and answers a copy where they are ISO strings
 * (only the objects and arrays on the way to a Date are copied; the caller's value is never
 * changed), or why it cannot be stored. JSON.stringify is several times faster on strings than on
 * Dates, whose toJSON takes it off its fast path.
 */
function withoutDates(value: unknown, path: Path, dates: Path[], ancestors: Set<object>): unknown {
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
    if (Number.isNaN(value.getTime())) return new UnstorableValue('an invalid Date');
    dates.push([...path]);
    return value.toISOString();
  }
  const object = value as object;
  if (ancestors.has(object)) return new UnstorableValue('a cycle');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return arrayWithoutDates(object, path, dates, ancestors);
    const prototype = Object.getPrototypeOf(object) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      return new UnstorableValue(`an instance of ${object.constructor?.name ?? 'a class'}`);
    }
    return objectWithoutDates(object as Record<string, unknown>, path, dates, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

function arrayWithoutDates(array: unknown[], path: Path, dates: Path[], ancestors: Set<object>): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const child = array[i];
    // JSON turns an array's undefined, functions and symbols into null: nothing to refuse or record.
    if (child === undefined || typeof child === 'function' || typeof child === 'symbol') continue;
    path.push(i);
    const plain = withoutDates(child, path, dates, ancestors);
    path.pop();
    if (plain instanceof UnstorableValue) return plain;
    if (plain !== child) (copy ??= array.slice())[i] = plain;
  }
  return copy ?? array;
}

function objectWithoutDates(object: Record<string, unknown>, path: Path, dates: Path[], ancestors: Set<object>): unknown {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const child = object[key];
    // JSON leaves out an object's undefined properties.
    if (child === undefined) continue;
    path.push(key);
    const plain = withoutDates(child, path, dates, ancestors);
    path.pop();
    if (plain instanceof UnstorableValue) return plain;
    if (plain === child) continue;
    copy ??= { ...object };
    // Defined, not assigned: an own "__proto__" key (JSON.parse makes them) must stay a key.
    Object.defineProperty(copy, key, { value: plain, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? object;
}
