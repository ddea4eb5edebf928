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
  const refusal = inspect(value, [], dates, new Set());
  if (refusal) return refusal;
  return { json: JSON.stringify(value) ?? 'null', dates: dates.length ? JSON.stringify(dates) : '' };
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
    parent[last] = new Date(parent[last] as string); // an own "__proto__" key is a data property: assigning it sets the key
  }
  return value;
}

/** Walks `value` once: records the paths of its Dates, and answers why it cannot be stored, if so. */
function inspect(value: unknown, path: Path, dates: Path[], ancestors: Set<object>): UnstorableValue | undefined {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'bigint':
    case 'function':
    case 'symbol':
      return new UnstorableValue(`a ${typeof value}`);
  }
  if (value === null) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return new UnstorableValue('an invalid Date');
    dates.push([...path]);
    return undefined;
  }
  const object = value as object;
  if (ancestors.has(object)) return new UnstorableValue('a cycle');
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      for (let i = 0; i < object.length; i++) {
        const refusal = inspectChild(object[i], path, i, dates, ancestors, true);
        if (refusal) return refusal;
      }
      return undefined;
    }
    const prototype = Object.getPrototypeOf(object) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      return new UnstorableValue(`an instance of ${object.constructor?.name ?? 'a class'}`);
    }
    for (const key of Object.keys(object)) {
      const refusal = inspectChild((object as Record<string, unknown>)[key], path, key, dates, ancestors, false);
      if (refusal) return refusal;
    }
    return undefined;
  } finally {
    ancestors.delete(object);
  }
}

function inspectChild(child: unknown, path: Path, step: string | number, dates: Path[], ancestors: Set<object>, inArray: boolean) {
  // JSON leaves out an object's undefined properties and turns an array's into null: neither holds a Date.
  if (child === undefined) return undefined;
  if (!inArray && (typeof child === 'function' || typeof child === 'symbol')) return new UnstorableValue(`a ${typeof child}`);
  path.push(step);
  try {
    return inspect(child, path, dates, ancestors);
  } finally {
    path.pop();
  }
}
