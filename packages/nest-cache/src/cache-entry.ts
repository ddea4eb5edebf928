import type { EncodedValue } from './cache-value';

/**
 * What the store holds for an entry, as ONE string: the version tokens it was loaded under
 * (space-separated), the paths of its Dates and its JSON text, one per line. A single string,
 * because a Keyv store (de)serializes objects with a reviver over every node: a string is one
 * node, so a read costs native JSON parsing only. Neither the tokens nor JSON text hold a raw
 * newline, so the first two newlines are the separators.
 */
export function formatEntry(version: string, encoded: EncodedValue): string {
  return `${version}\n${encoded.dates}\n${encoded.json}`;
}

/** The parts of a stored entry; undefined for anything else (a value this package did not write). */
export function parseEntry(stored: unknown): { version: string; encoded: EncodedValue } | undefined {
  if (typeof stored !== 'string') return undefined;
  const first = stored.indexOf('\n');
  const second = first < 0 ? -1 : stored.indexOf('\n', first + 1);
  if (second < 0) return undefined;
  return { version: stored.slice(0, first), encoded: { dates: stored.slice(first + 1, second), json: stored.slice(second + 1) } };
}
