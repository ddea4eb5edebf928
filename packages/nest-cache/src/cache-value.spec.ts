import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, UnstorableValue, type EncodedValue } from './cache-value';

/** What a read gives back: encoded, through the store's JSON (as Keyv keeps it), decoded. */
function roundTrip(value: unknown): unknown {
  const encoded = encodeValue(value);
  if (encoded instanceof UnstorableValue) throw new Error(`refused: ${encoded.reason}`);
  return decodeValue(JSON.parse(JSON.stringify(encoded)) as EncodedValue);
}

describe('cache values', () => {
  it('bring Dates back as Dates wherever they are, and strings as strings', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    const value = {
      at,
      rows: [{ createdAt: at, tags: ['\u0000d:2025-01-01', ':colon', 'plain'] }, { createdAt: null }],
      nested: { deeper: [[at]] },
      iso: '2025-01-02T03:04:05.678Z',
    };
    const back = roundTrip(value) as typeof value;
    expect(back).toEqual(value);
    expect(back.at).toBeInstanceOf(Date);
    expect(back.rows[0]!.createdAt).toBeInstanceOf(Date);
    expect(back.nested.deeper[0]![0]).toBeInstanceOf(Date);
    expect(typeof back.iso).toBe('string'); // an ISO string stays a string
  });

  it('a Date alone, a shared (not cyclic) object, odd unicode', () => {
    const at = new Date(0);
    expect(roundTrip(at)).toEqual(at);
    const shared = { n: 1 };
    expect(roundTrip([shared, shared])).toEqual([{ n: 1 }, { n: 1 }]);
    expect(roundTrip({ s: 'nul\u0000 bidi\u202e lone\ud800' })).toEqual({ s: 'nul\u0000 bidi\u202e lone\ud800' });
  });

  it('never changes the value it encodes, and keeps an own "__proto__" key a key', () => {
    const at = new Date('2025-01-02T03:04:05.000Z');
    const value = JSON.parse('{"__proto__": {"n": 1}, "rows": [{"x": 1}], "nested": {}}') as Record<string, any>;
    value['__proto__'].at = at;
    value.rows[0].at = at;
    Object.defineProperty(value.nested, '__proto__', { value: at, enumerable: true, writable: true, configurable: true });
    const back = roundTrip(value) as Record<string, any>;
    expect(Object.keys(back)).toEqual(['__proto__', 'rows', 'nested']);
    expect(Object.getOwnPropertyDescriptor(back.nested, '__proto__')?.value).toEqual(at);
    expect(back['__proto__'].at).toEqual(at);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(value.rows[0].at).toBe(at); // the caller's value still holds its Date
  });

  it('reads entries whose Dates an earlier version wrote as ISO strings', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    expect(decodeValue({ json: JSON.stringify({ rows: [{ at }] }), dates: '[["rows",0,"at"]]' })).toEqual({ rows: [{ at }] });
  });

  it('leaves out undefined properties, as JSON does', () => {
    expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
  });

  it.each([
    [
      'a cycle',
      (() => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value;
      })(),
    ],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
    ['an invalid Date', { at: new Date('nope') }],
    ['an instance of Map', { m: new Map() }],
  ])('refuses %s', (reason, value) => {
    const encoded = encodeValue(value);
    expect(encoded).toBeInstanceOf(UnstorableValue);
    expect((encoded as UnstorableValue).reason).toContain(reason.split(' ').pop()!);
  });
});
