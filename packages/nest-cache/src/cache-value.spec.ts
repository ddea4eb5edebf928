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
    expect(decodeValue({ json: JSON.stringify({ rows: [{ at }] }), layout: '[["rows",0,"at"]]' })).toEqual({ rows: [{ at }] });
  });

  it('stores a page of records with the same keys as a table: each key once, and every row back as it was', () => {
    const at = new Date('2025-01-02T03:04:05.678Z');
    const rows = [1, 2, 3].map((n) => ({
      id: `c${n}`,
      createdAt: new Date(at.getTime() + n),
      deletedAt: n === 2 ? at : null,
      owner: { id: `u${n}`, seenAt: at, avatarUrl: null },
      lastActivity: n === 3 ? null : { kind: 'Email', at },
      tags: [`t${n}`, at],
      contacts: [
        { name: 'Ada', at },
        { name: 'Grace', at: null },
      ],
      mixed: n === 1 ? at : 'not a date',
    }));
    const encoded = encodeValue({ rows, total: 3 });
    if (encoded instanceof UnstorableValue) throw new Error(encoded.reason);
    expect(encoded.json.match(/"createdAt"/g)).toBeNull(); // the keys are in the layout, once
    expect(encoded.json.length).toBeLessThan(JSON.stringify({ rows, total: 3 }).length * 0.75);
    const back = roundTrip({ rows, total: 3 }) as { rows: typeof rows };
    expect(back).toEqual({ rows, total: 3 });
    for (const [i, row] of back.rows.entries()) {
      expect(Object.keys(row)).toEqual(Object.keys(rows[i]!));
      expect(row.createdAt).toBeInstanceOf(Date);
      expect(row.owner.seenAt).toBeInstanceOf(Date);
      expect(row.tags[1]).toBeInstanceOf(Date);
      expect(row.contacts[0]!.at).toBeInstanceOf(Date);
    }
    expect(back.rows[0]!.mixed).toBeInstanceOf(Date);
    expect(back.rows[1]!.mixed).toBe('not a date');
    expect(back.rows[1]!.deletedAt).toBeInstanceOf(Date);
    expect(back.rows[2]!.lastActivity).toBeNull();
  });

  it('stores arrays that are not tables as they are: other keys, another order, undefined values, "__proto__", other elements', () => {
    const at = new Date(0);
    const proto = JSON.parse('[{"__proto__": {"n": 1}}, {"__proto__": {"n": 2}}]') as object[];
    for (const value of [
      [{ a: 1 }, { b: 1 }],
      [
        { a: 1, b: at },
        { b: at, a: 2 },
      ],
      [
        { a: 1, b: 2 },
        { a: 1, b: undefined },
      ],
      [{ a: at }, 'text', null, [at]],
      [{}, {}],
      proto,
    ]) {
      expect(roundTrip(value)).toEqual(value); // toEqual: an undefined property equals a missing one
    }
    const back = roundTrip(proto) as object[];
    expect(Object.keys(back[0]!)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype);
  });

  it('leaves out undefined properties, as JSON does', () => {
    expect(roundTrip({ a: 1, b: undefined })).toEqual({ a: 1 });
  });

  it.each([
    [
      'a cycle',
      'cycle',
      (() => {
        const value: Record<string, unknown> = {};
        value.self = value;
        return value;
      })(),
    ],
    ['a bigint', 'bigint', { n: 1n }],
    ['a function', 'function', { f: () => 1 }],
    ['an invalid Date', 'invalid Date', { at: new Date('nope') }],
    ['an instance of Map', 'Map', { m: new Map() }],
    ['an invalid Date in a table', 'invalid Date', [{ at: new Date(0) }, { at: new Date('nope') }]],
    ['a class instance in a table', 'Set', [{ m: 1 }, { m: new Set() }]],
    // Cells of a table skip the walk when they are primitives: these are not.
    ['a bigint in a table', 'bigint', [{ n: 1 }, { n: 2n }]],
    ['a function in a table', 'function', [{ f: 'a' }, { f: () => 1 }]],
    ['a symbol in a nested record of a table', 'symbol', [{ o: { s: 'a' } }, { o: { s: Symbol('s') } }]],
    [
      'a cycle through the rows of a table',
      'cycle',
      (() => {
        const rows = [{ self: {} as unknown }, { self: {} as unknown }];
        rows[0]!.self = rows[0];
        rows[1]!.self = rows[1];
        return rows;
      })(),
    ],
  ])('refuses %s', (_, reason, value) => {
    const encoded = encodeValue(value);
    expect(encoded).toBeInstanceOf(UnstorableValue);
    expect((encoded as UnstorableValue).reason).toContain(reason);
  });
});
