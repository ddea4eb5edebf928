import { describe, expect, it } from 'vitest';
import { isUuid, uuidv7 } from './uuid';

describe('uuidv7', () => {
  it('produces RFC 9562 version 7, variant 10 ids', () => {
    expect(uuidv7()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('encodes the millisecond timestamp in the first 48 bits, so ids sort by time', () => {
    const before = Date.now();
    const id = uuidv7();
    const at = parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5_000 }, () => uuidv7());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives every id random bits of its own, across many refills of its pool of random bytes', () => {
    // The last 40 bits are random only (the counter ends before them): 5,000 ids draw 20 pools.
    const tails = Array.from({ length: 5_000 }, () => uuidv7().slice(-10));
    expect(new Set(tails).size).toBe(tails.length);
  });
});

describe('isUuid', () => {
  it('accepts UUIDs of any version and case', () => {
    expect(isUuid(uuidv7())).toBe(true);
    expect(isUuid('0B3C8E2A-1F4D-4C5E-9A6B-7C8D9E0F1A2B')).toBe(true);
    expect(isUuid('11111111-1111-1111-1111-111111111111')).toBe(true); // no RFC version: PostgreSQL still takes it
  });

  it.each([['not-a-uuid'], [''], ['0b3c8e2a-1f4d-4c5e-9a6b-7c8d9e0f1a2b\u0000'], [' 0b3c8e2a-1f4d-4c5e-9a6b-7c8d9e0f1a2b'], [42], [null], [undefined]])(
    'refuses %j',
    (value) => expect(isUuid(value)).toBe(false),
  );
});
