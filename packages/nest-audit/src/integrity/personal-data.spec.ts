import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './chain-content';
import { DEFAULT_PERSONAL, maskPersonal, personalDigest, personalPathsOf, personalRules, replaceAt, valuesAt } from './personal-data';

const rules = personalRules(DEFAULT_PERSONAL);

describe('personalPathsOf', () => {
  it('marks personal keys at any depth, case-insensitive, in sorted-key walk order, and stops below them', () => {
    const metadata = { contact: { Phone: '+1', address: { city: 'X', street: 'Y' } }, Email: 'a@x.io', list: [{ name: 'n0' }, { other: 1 }] };
    const changes = { stage: { from: 'New', to: 'Won' }, email: { from: 'a@x.io', to: 'b@x.io' } };
    expect(personalPathsOf(rules, metadata, changes)).toEqual([
      ['metadata', 'Email'],
      ['metadata', 'contact', 'Phone'],
      ['metadata', 'contact', 'address'],
      ['metadata', 'list', 0, 'name'],
      ['changes', 'email'],
    ]);
  });

  it('matches dotted paths inside metadata and changes (changes without the from/to level), or with a root prefix', () => {
    const dotted = personalRules(['customer.ssn', 'metadata.device.id']);
    const metadata = { customer: { ssn: '1' }, device: { id: 'd' } };
    const changes = { customer: { from: { ssn: '1' }, to: { ssn: '2' } }, device: { from: { id: 'a' }, to: { id: 'b' } } };
    expect(personalPathsOf(dotted, metadata, changes)).toEqual([
      ['metadata', 'customer', 'ssn'],
      ['metadata', 'device', 'id'],
      ['changes', 'customer', 'from', 'ssn'],
      ['changes', 'customer', 'to', 'ssn'],
    ]);
  });

  it('is empty without rules or personal keys', () => {
    expect(personalPathsOf(personalRules([]), { email: 'x' }, {})).toEqual([]);
    expect(personalPathsOf(rules, {}, { stage: { from: 1, to: 2 } })).toEqual([]);
  });
});

describe('maskPersonal, replaceAt and valuesAt', () => {
  const container = { metadata: { a: [{ email: 'x' }], __proto__: null as unknown }, changes: { name: { from: 'A', to: 'B' } } };
  const paths = [
    ['metadata', 'a', 0, 'email'],
    ['changes', 'name'],
    ['metadata', 'missing', 'x'],
  ];

  it('replaces the value at each existing path in a copy, adds nothing for missing paths, and leaves the input alone', () => {
    const before = JSON.stringify(container);
    const masked = maskPersonal(container, paths);
    expect(masked).toEqual({ metadata: { a: [{ email: '[personal]' }] }, changes: { name: '[personal]' } });
    expect(JSON.stringify(container)).toBe(before);
    expect(replaceAt(container, paths, '[erased]').changes).toEqual({ name: '[erased]' });
  });

  it('keeps a "__proto__" key as data', () => {
    const parsed = JSON.parse('{"metadata":{"__proto__":{"email":"x"}},"changes":{}}');
    const masked = maskPersonal(parsed, [['metadata', '__proto__', 'email']]);
    expect(canonicalJson(masked)).toBe('{"changes":{},"metadata":{"__proto__":{"email":"[personal]"}}}');
  });

  it('reads the values at the paths in order, null where a path leads nowhere', () => {
    expect(valuesAt(container, paths)).toEqual(['x', { from: 'A', to: 'B' }, null]);
  });
});

describe('personalDigest', () => {
  it('is sha256(salt ‖ utf8(canonicalJson([actorId, ip, userAgent, values])))', () => {
    const salt = Buffer.alloc(16, 1);
    const digest = personalDigest(salt, 'u1', '10.0.0.1', 'UA', [{ b: 1, a: 2 }]);
    const expected = createHash('sha256')
      .update(Buffer.concat([salt, Buffer.from('["u1","10.0.0.1","UA",[{"a":2,"b":1}]]')]))
      .digest();
    expect(digest).toEqual(expected);
    expect(personalDigest(Buffer.alloc(16, 2), 'u1', '10.0.0.1', 'UA', [{ b: 1, a: 2 }])).not.toEqual(digest);
  });
});
