import { describe, expect, it } from 'vitest';
import { formatEntry, parseEntry } from './cache-entry';
import { decodeValue, encodeValue, type EncodedValue } from './cache-value';

describe('stored entries', () => {
  it('keep the version, the Dates and the JSON apart, whatever the value holds', () => {
    const value = { text: 'two\nlines and \u0000 and :colon', at: new Date('2025-01-02T03:04:05.000Z') };
    const stored = formatEntry('v1 v2', encodeValue(value) as EncodedValue);
    const parsed = parseEntry(JSON.parse(JSON.stringify(stored))); // as a store gives it back
    expect(parsed?.version).toBe('v1 v2');
    expect(decodeValue(parsed!.encoded)).toEqual(value);
  });

  it('read entries of earlier versions (no format mark, only Dates in the layout), and are misses to them', () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const earlier = parseEntry(`v1 v2\n[["rows",0,"at"]]\n${JSON.stringify({ rows: [{ at: at.getTime() }] })}`);
    expect(earlier?.version).toBe('v1 v2');
    expect(decodeValue(earlier!.encoded)).toEqual({ rows: [{ at }] });
    // An earlier version takes the whole first line for the versions: they never match, so it misses.
    const stored = formatEntry('v1 v2', encodeValue([{ at }, { at }]) as EncodedValue);
    expect(stored.slice(0, stored.indexOf('\n'))).not.toBe('v1 v2');
  });

  it('are not found in anything this package did not write', () => {
    for (const stored of [undefined, null, 42, { v: 'x' }, 'no separators', 'one\nseparator']) expect(parseEntry(stored)).toBeUndefined();
  });
});
