import { describe, expect, it } from 'vitest';
import { iso, isoSchema } from './iso.helper';
import { InvalidViewValueError } from './view-presenter.errors';

describe('iso', () => {
  it('turns what drivers return into ISO 8601 UTC strings', () => {
    expect(iso(new Date(Date.UTC(2026, 4, 1, 10, 0, 0, 123)))).toBe('2026-05-01T10:00:00.123Z');
    expect(iso('2026-05-01T12:00:00+02:00')).toBe('2026-05-01T10:00:00.000Z');
    expect(iso('2026-05-01 10:00:00.123+00')).toBe('2026-05-01T10:00:00.123Z');
    expect(iso('2026-05-01 12:30:00+02:30')).toBe('2026-05-01T10:00:00.000Z');
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('maps null and undefined to null, for nullable fields', () => {
    expect(iso(null)).toBeNull();
    expect(iso(undefined)).toBeNull();
  });

  it('throws a typed error for a value that is not a date', () => {
    expect(() => iso('yesterday')).toThrow(InvalidViewValueError);
    expect(() => iso(new Date(Number.NaN))).toThrow(/iso\(\) got .* not a date/);
  });

  it('produces what isoSchema accepts', () => {
    expect(isoSchema().safeParse(iso('2026-05-01 10:00:00+00')).success).toBe(true);
    expect(isoSchema().safeParse('2026-05-01 10:00:00').success).toBe(false);
  });
});
