/** Why a value cannot be part of a key: it is not plain data. */
export class NotPlainData {
  constructor(readonly reason: string) {}
}

const MAX_DEPTH = 32;

/**
 * A canonical string of plain data, for keys: equal data gives equal strings whatever the order of
 * object keys. Plain data is null, booleans, numbers, strings, bigints, undefined, Dates, arrays and
 * plain objects of those; anything else (functions, symbols, class instances, Maps, cycles, more
 * than 32 levels) gives `NotPlainData`: such an argument could stand for different things with the
 * same string, so the call is not cached.
 */
export function canonicalData(value: unknown): string | NotPlainData {
  try {
    return encode(value, []);
  } catch (error) {
    if (error instanceof NotPlainData) return error;
    throw error;
  }
}

function encode(value: unknown, path: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // JSON would turn NaN and the infinities into null; keep them apart.
      return Number.isFinite(value) ? JSON.stringify(value) : String(value);
    case 'bigint':
      return `${value.toString()}n`;
    case 'undefined':
      return 'undefined';
    case 'object':
      break;
    default:
      throw new NotPlainData(`a ${typeof value}`);
  }
  if (value === null) return 'null';
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'NaN' : JSON.stringify(value.toISOString())})`;
  if (path.includes(value)) throw new NotPlainData('a cycle');
  if (path.length >= MAX_DEPTH) throw new NotPlainData(`more than ${MAX_DEPTH} levels of nesting`);
  path.push(value);
  let text: string;
  if (Array.isArray(value)) {
    text = `[${value.map((item) => encode(item, path)).join(',')}]`;
  } else {
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) {
      throw new NotPlainData(`an instance of ${(value as object).constructor?.name ?? 'a class'}`);
    }
    const record = value as Record<string, unknown>;
    // Every string is JSON-quoted, so the unquoted forms above (1n, undefined, NaN, Date(...)) never collide with one.
    text = `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${encode(record[key], path)}`)
      .join(',')}}`;
  }
  path.pop();
  return text;
}
