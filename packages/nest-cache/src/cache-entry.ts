import type { EncodedValue } from './cache-value';

/**
 * Marks the first line of an entry whose layout may hold tables. A replica on an earlier version
 * of this package reads the whole line as the entry's versions, which then never match: it sees a
 * miss (and writes its own entry), never a layout it cannot read.
 */
const FORMAT = '2|';

/**
 * What the store holds for an entry, as ONE string: the version tokens it was loaded under
 * (space-separated, after the format mark), the value's layout and its JSON text, one per line.
 * A single string, because a Keyv store (de)serializes objects with a reviver over every node: a
 * string is one node, so a read costs native JSON parsing only. Neither the tokens, the layout nor
 * JSON text hold a raw newline, so the first two newlines are the separators.
 */
export function formatEntry(version: string, encoded: EncodedValue): string {
  return `${FORMAT}${version}\n${encoded.layout}\n${encoded.json}`;
}

/**
 * The parts of a stored entry; undefined for anything else (a value this package did not write).
 * Entries of earlier versions (no format mark, only Dates in their layout) read the same.
 */
export function parseEntry(stored: unknown): { version: string; encoded: EncodedValue } | undefined {
  if (typeof stored !== 'string') return undefined;
  const first = stored.indexOf('\n');
  const second = first < 0 ? -1 : stored.indexOf('\n', first + 1);
  if (second < 0) return undefined;
  const start = stored.startsWith(FORMAT) ? FORMAT.length : 0;
  return { version: stored.slice(start, first), encoded: { layout: stored.slice(first + 1, second), json: stored.slice(second + 1) } };
}
