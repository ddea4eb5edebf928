/**
 * What PostgreSQL can store of a string: `text` and `jsonb` refuse NUL (U+0000), and an unpaired
 * UTF-16 surrogate has no UTF-8 form (the driver would send U+FFFD in its place). The chain
 * writer stores, and hashes, both as U+FFFD, so the hash it computes is the hash of what the
 * table holds.
 */
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex -- NUL is what this looks for
const FIND_UNSTORABLE = /\u0000|[\uD800-\uDFFF]/;
/** In JSON text: a `\u0000` escape or any escaped surrogate (JSON.stringify escapes only unpaired ones). */
const UNSTORABLE_ESCAPE = /\\u0000|\\u[dD][89a-fA-F]/;

/** `value` with NUL characters and unpaired surrogates replaced by U+FFFD; other values as they are. */
export function storableText<T>(value: T): T {
  if (typeof value !== 'string' || !FIND_UNSTORABLE.test(value)) return value;
  return value.replace(UNSTORABLE, '\uFFFD') as T;
}

/**
 * The JSON text to insert into a jsonb column, and its parsed value (what reading the column
 * back gives). Text that jsonb would refuse is rewritten with its strings (keys too) made storable.
 */
export function storableJson(text: string): { text: string; value: unknown } {
  const value: unknown = JSON.parse(text);
  if (!UNSTORABLE_ESCAPE.test(text)) return { text, value };
  const clean = storableValue(value);
  return { text: JSON.stringify(clean), value: clean };
}

function storableValue(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableValue);
  if (value === null || typeof value !== 'object') return value;
  // fromEntries defines own properties, so a key such as "__proto__" stays data.
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [storableText(key), storableValue(field)]));
}
